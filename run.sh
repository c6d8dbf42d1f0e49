#!/usr/bin/env bash
# Set everything up and start the assistant on the bundled corpus: http://127.0.0.1:7860
# Extra arguments go to app.py (e.g. --port 8080 --root-path /qa).
# The app listens at once: it serves the last good index and builds (or updates, or repairs)
# the index in the background; /healthz and the answers say how far the build is.
set -euo pipefail
cd "$(dirname "$0")"
./scripts/setup.sh
exec .venv/bin/python app.py "$@"
