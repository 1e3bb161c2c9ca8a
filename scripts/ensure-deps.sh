#!/usr/bin/env bash
# Installs npm dependencies when node_modules is missing or older than the lockfile, so the README's
# two commands work on a fresh clone with no separate setup step. Sourced by start.sh and test.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! command -v node >/dev/null 2>&1; then
  echo "Ladder needs Node.js >= 20.19 and npm (node was not found on PATH)." >&2
  exit 1
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "Installing npm dependencies…"
  # `npm ci`: exactly what the committed lockfile says, and it never rewrites the lockfile.
  npm ci --no-audit --no-fund --loglevel=error
fi
