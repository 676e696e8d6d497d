#!/usr/bin/env bash
# Run every benchmark (`deno task bench`) and print a markdown summary on stdout at the end.
# Progress, with the main figures as they come, goes to stderr. These are measurements, not
# tests: nothing here fails on a missed target, only when a benchmark cannot run.
#
#   BENCH_STARTUP_RUNS=5   later start-up runs (and bare runs) to time
#   BENCH_WRK_SECONDS=10   measured wrk duration per server
#
# A copy of the summary is kept in bench/results/ (ignored by git).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v deno >/dev/null 2>&1; then
  echo "bench: deno is not on PATH; install Deno 2.9 first" >&2
  exit 1
fi

# The agent benchmarks are separate runs (minutes each, and they need their own setup):
#   bash bench/run.sh agents [flags of bench/agents_load.ts]     heartbeat ingest, connection scale
#   bash bench/run.sh deploy [flags of bench/deploy_overhead.ts] deploy command vs bare Docker
#   bash bench/run.sh workloads [flags of bench/workloads_e2e.ts] API → deploy sent, end to end
#   bash bench/run.sh nodes-page [flags of bench/nodes_page.ts]  Nodes page render, browser long tasks
#   bash bench/run.sh online [--runs 5]                          one-line installer → node online
case "${1:-}" in
  agents)
    shift
    # One descriptor per simulated agent in the server and in the load process: raise the
    # limit where allowed (root may go up to the hard limit).
    ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
    echo "[bench] open files limit: $(ulimit -n)" >&2
    exec deno run -A bench/agents_load.ts "$@"
    ;;
  deploy)
    shift
    exec deno run -A bench/deploy_overhead.ts "$@"
    ;;
  workloads)
    shift
    # A socket per simulated agent and per outstanding POST, on both sides.
    ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
    echo "[bench] open files limit: $(ulimit -n)" >&2
    exec deno run -A bench/workloads_e2e.ts "$@"
    ;;
  online)
    shift
    exec deno run -A bench/time_to_online.ts "$@"
    ;;
  nodes-page)
    shift
    ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
    exec deno run -A bench/nodes_page.ts "$@"
    ;;
esac

if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "[bench] wrk is missing: installing it with apt-get" >&2
    apt-get update >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y wrk >&2
  else
    echo "bench: wrk is not installed and this is not a root shell with apt-get." >&2
    echo "bench: install it first, e.g. 'sudo apt-get install -y wrk' (Debian/Ubuntu)," >&2
    echo "bench: 'brew install wrk' (macOS), or build it from https://github.com/wg/wrk." >&2
    exit 1
  fi
fi

out=$(mktemp)
trap 'rm -f "$out"' EXIT

machine() {
  local mem
  mem=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo 2>/dev/null || echo "?")
  echo "### Machine"
  echo
  echo "| | |"
  echo "| --- | --- |"
  echo "| Date (UTC) | $(date -u '+%Y-%m-%d %H:%M') |"
  echo "| Commit | $(git rev-parse --short HEAD 2>/dev/null || echo "?")$(git diff --quiet HEAD -- . ':!bench' 2>/dev/null || echo " (with local changes)") |"
  echo "| CPUs (nproc) | $(nproc) |"
  echo "| CPU model | $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo "?") |"
  echo "| Memory | $mem |"
  echo "| OS | $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME" || uname -sr) |"
  echo "| Deno | $(deno --version | head -1 | cut -d' ' -f2) |"
  echo "| wrk | $(wrk --version 2>&1 | head -1 | cut -d' ' -f2) |"
  echo "| Load average before | $(cut -d' ' -f1-3 /proc/loadavg) |"
  echo
}

{
  echo "## Lattice benchmarks"
  echo
  machine
} >"$out"

echo "[bench] 1/2 start-up time (bench/startup.ts)" >&2
deno run -A bench/startup.ts >>"$out"

echo "[bench] 2/2 HTTP throughput (bench/http.ts)" >&2
deno run -A bench/http.ts >>"$out"

echo "Load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out"

mkdir -p bench/results
saved="bench/results/$(date -u +%Y%m%dT%H%M%SZ).md"
cat "$out" >"$saved"
echo "[bench] done; summary saved to $saved" >&2
echo
cat "$out"
