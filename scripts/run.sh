#!/usr/bin/env bash
# The README's main-job command: set up, then run the appliance on its embedded default.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/edge "$@"
