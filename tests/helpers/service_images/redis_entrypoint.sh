#!/bin/sh
# Entrypoint of the locally built redis:7 test image (tests/helpers/service_images.ts), with the
# official image's contract: the container's command is `redis-server …` (or only its options),
# run as the redis user in /data, with protected mode off (the official build turns it off).
set -eu

case "${1:-}" in -* | *.conf) set -- redis-server "$@" ;; esac

if [ "${1:-}" = redis-server ] && [ "$(id -u)" = 0 ]; then
  # A fresh named volume on /data is owned by root; redis writes its AOF and RDB files there.
  find . \! -user redis -exec chown redis:redis '{}' +
  exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
fi

if [ "${1:-}" = redis-server ]; then
  shift
  # A config file must stay the first argument; options given later win over this default.
  case "${1:-}" in
  *.conf)
    conf=$1
    shift
    set -- redis-server "$conf" --protected-mode no "$@"
    ;;
  *) set -- redis-server --protected-mode no "$@" ;;
  esac
fi

exec "$@"
