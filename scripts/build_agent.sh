#!/usr/bin/env bash
# Build lattice-agent release binaries with `deno compile` into dist/.
# deno compile downloads the `denort` runtime for each target from dl.deno.land; where that is
# unreachable, set DENORT_BIN to a local denort binary (one target only) or use the single-file
# bundle instead: `deno task bundle:agent` (dist/lattice-agent.js, runs with `deno run`).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p dist
PERMS=(--allow-net --allow-read --allow-write --allow-env --allow-run --allow-sys)
TARGETS=(x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu x86_64-apple-darwin aarch64-apple-darwin x86_64-pc-windows-msvc)
if [[ $# -gt 0 ]]; then TARGETS=("$@"); fi
failed=0
for target in "${TARGETS[@]}"; do
  out="dist/lattice-agent-${target}"
  echo "[build:agent] ${target} -> ${out}"
  if ! deno compile --quiet "${PERMS[@]}" --unstable-kv --target "$target" --output "$out" agent/main.ts; then
    echo "[build:agent] ${target} failed: deno compile needs the denort runtime from dl.deno.land (or DENORT_BIN)." >&2
    failed=1
  fi
done
exit "$failed"
