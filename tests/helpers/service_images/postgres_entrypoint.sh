#!/bin/sh
# Entrypoint of the locally built postgres:16 test image (tests/helpers/service_images.ts). It keeps
# the official image's contract: POSTGRES_PASSWORD (required), POSTGRES_USER (default postgres,
# created as the superuser), POSTGRES_DB (default POSTGRES_USER), data in $PGDATA, initialised on
# the first start only, so a container re-created on the same volume keeps data and password.
set -eu

# Options alone mean "postgres with these options", as in the official image.
case "${1:-}" in -*) set -- postgres "$@" ;; esac
if [ "${1:-}" != postgres ]; then exec "$@"; fi

: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA

if [ "$(id -u)" = 0 ]; then
  # A fresh named volume is owned by root; postgres refuses a data directory it does not own.
  mkdir -p "$PGDATA" /var/run/postgresql
  chmod 0700 "$PGDATA"
  find "$PGDATA" /var/run/postgresql \! -user postgres -exec chown postgres:postgres '{}' +
  chmod 2775 /var/run/postgresql
  # Dropping privileges needs no setuid binary, so no-new-privileges containers allow it.
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    echo "Error: database is uninitialized and superuser password is not specified." >&2
    echo "       Set POSTGRES_PASSWORD to a non-empty value for the superuser." >&2
    exit 1
  fi
  user=${POSTGRES_USER:-postgres}
  db=${POSTGRES_DB:-$user}
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  initdb --username="$user" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
  echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  if [ "$db" != postgres ]; then
    # Single-user mode reads one statement per line and reports errors without failing.
    quoted=$(printf '%s' "$db" | sed 's/"/""/g')
    out=$(printf 'CREATE DATABASE "%s"\n' "$quoted" | postgres --single -D "$PGDATA" postgres 2>&1)
    case "$out" in *ERROR:*)
      printf 'Cannot create database %s:\n%s\n' "$db" "$out" >&2
      # initdb needed an empty directory, so all of it is ours: the next start initialises again.
      find "$PGDATA" -mindepth 1 -delete
      exit 1
      ;;
    esac
  fi
  echo "PostgreSQL init process complete; ready for start up."
fi

exec "$@"
