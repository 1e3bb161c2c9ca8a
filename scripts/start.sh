#!/usr/bin/env bash
# The README's first command: install what is missing, build, then run Ladder (dev server, worker).
# The run command replaces this shell (exec, no npm in between), so SIGINT/SIGTERM sent to this
# script's PID reach it directly and it stops everything it started.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/ensure-deps.sh
bash scripts/ensure-sandbox.sh
npm run --silent build
exec node dist/scripts/start.js
