#!/usr/bin/env bash
# The README's first command: install what is missing, build, then run Ladder (dev server, worker).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/ensure-deps.sh
exec npm start --silent
