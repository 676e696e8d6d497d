#!/usr/bin/env bash
# The whole test suite against the real parts: provision them, then run every test once.
# Tests that need a database run against both embedded PGlite and the PostgreSQL server.
set -euo pipefail
cd "$(dirname "$0")/.."
env_lines=$(bash scripts/provision.sh)
eval "$env_lines"
mkdir -p test-output
exec deno test --allow-all --no-prompt "$@"
