#!/usr/bin/env bash
# Set up (packages, headless Chromium) and run the whole test suite with pytest.
# Extra arguments go to pytest (e.g. ./test.sh tests/test_reader.py -k glossary).
set -euo pipefail
cd "$(dirname "$0")"
./scripts/setup.sh --dev
exec .venv/bin/python -m pytest "$@"
