#!/usr/bin/env bash
# Set everything up and start the assistant on the bundled corpus: http://127.0.0.1:7860
# Extra arguments go to app.py (e.g. --port 8080 --root-path /qa).
set -euo pipefail
cd "$(dirname "$0")"
./scripts/setup.sh
.venv/bin/python -m index build
exec .venv/bin/python app.py "$@"
