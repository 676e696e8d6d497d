#!/usr/bin/env bash
# Make sure the real parts the test suite needs are installed and running:
# PostgreSQL (server and a test role), Docker Engine, Chromium, debootstrap, busybox-static.
# Installs what is missing with apt when it can; otherwise names what is missing and fails.
# Prints `export NAME=value` lines for the test run on stdout; progress goes to stderr.
set -euo pipefail

say() { printf '[provision] %s\n' "$*" >&2; }
fail() { printf '[provision] FAILED: %s\n' "$*" >&2; exit 1; }

DOCKER_SOCK=${LATTICE_TEST_DOCKER_SOCK:-/var/run/docker.sock}
PG_ROLE=lattice_test
PG_PASSWORD=${LATTICE_TEST_PG_PASSWORD:-lattice_test_only}

missing=()
[ -d /usr/lib/postgresql ] && compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || missing+=(postgresql)
command -v dockerd >/dev/null || missing+=(docker.io)
command -v chromium >/dev/null || missing+=(chromium)
command -v debootstrap >/dev/null || missing+=(debootstrap)
dpkg -s busybox-static >/dev/null 2>&1 || missing+=(busybox-static)
command -v curl >/dev/null || missing+=(curl)

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    fail "missing ${missing[*]}. Install them (as root: apt-get install -y ${missing[*]}) and run again."
  fi
  say "installing ${missing[*]} (about a minute)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 || fail "apt-get update failed"
  apt-get install -y -qq "${missing[@]}" >&2 || fail "apt-get install ${missing[*]} failed"
fi

# ── PostgreSQL ────────────────────────────────────────────────────────────────
pg_version=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h 2>/dev/null | awk '{print $1" "$2}' | grep -qx "$pg_version main"; then
  [ "$(id -u)" -eq 0 ] || fail "no PostgreSQL cluster $pg_version/main and not root to create one"
  say "creating PostgreSQL $pg_version cluster"
  pg_createcluster "$pg_version" main >&2
fi
pg_port=$(pg_lsclusters -h | awk -v v="$pg_version" '$1==v && $2=="main" {print $3}')
if ! pg_lsclusters -h | awk -v v="$pg_version" '$1==v && $2=="main" {print $4}' | grep -q online; then
  [ "$(id -u)" -eq 0 ] || fail "PostgreSQL is not running and not root to start it"
  say "starting PostgreSQL $pg_version on port $pg_port"
  pg_ctlcluster --skip-systemctl-redirect "$pg_version" main start >&2
fi
for _ in $(seq 1 60); do
  pg_isready -q -h 127.0.0.1 -p "$pg_port" && break
  sleep 0.5
done
pg_isready -q -h 127.0.0.1 -p "$pg_port" || fail "PostgreSQL did not accept connections on port $pg_port"
if [ "$(id -u)" -eq 0 ]; then
  # A login role that may create the throwaway databases tests use, and nothing more.
  runuser -u postgres -- psql -q -p "$pg_port" -v ON_ERROR_STOP=1 >&2 <<SQL
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_ROLE') THEN
    CREATE ROLE $PG_ROLE LOGIN CREATEDB NOSUPERUSER NOCREATEROLE PASSWORD '$PG_PASSWORD';
  ELSE
    ALTER ROLE $PG_ROLE LOGIN CREATEDB NOSUPERUSER NOCREATEROLE PASSWORD '$PG_PASSWORD';
  END IF;
END
\$\$;
SQL
fi

# ── Docker Engine ─────────────────────────────────────────────────────────────
docker_ok() { curl -fsS --max-time 2 --unix-socket "$DOCKER_SOCK" http://localhost/_ping >/dev/null 2>&1; }
if ! docker_ok; then
  [ "$(id -u)" -eq 0 ] || fail "Docker Engine is not answering on $DOCKER_SOCK and not root to start it"
  say "starting dockerd"
  setsid nohup dockerd --host "unix://$DOCKER_SOCK" >/var/log/dockerd.log 2>&1 < /dev/null &
  for _ in $(seq 1 120); do docker_ok && break; sleep 0.5; done
  docker_ok || fail "dockerd did not start; see /var/log/dockerd.log"
fi

say "ready: PostgreSQL $pg_version on $pg_port, Docker on $DOCKER_SOCK, $(chromium --version 2>/dev/null | head -1)"
echo "export LATTICE_TEST_DATABASE_URL=postgres://$PG_ROLE:$PG_PASSWORD@127.0.0.1:$pg_port/postgres"
echo "export LATTICE_TEST_DOCKER_SOCK=$DOCKER_SOCK"
echo "export LATTICE_TEST_CHROMIUM=$(command -v chromium)"
