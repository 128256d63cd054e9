#!/usr/bin/env bash
# The README's test command: set up, lint, type-check and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh dev
.venv/bin/ruff check edge tests
.venv/bin/mypy
.venv/bin/pytest "$@"
