#!/usr/bin/env bash
# Create .venv and install what the project needs. `--dev` adds the test tools and headless Chromium.
# Safe to run again: it only installs what is missing or changed.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PYTHON" -m venv .venv
fi
PIP=".venv/bin/python -m pip"
$PIP install --quiet --upgrade pip >/dev/null

req=requirements.txt
[ "${1:-}" = "--dev" ] && req=requirements-dev.txt
stamp=.venv/.installed-$(cat requirements.txt requirements-ray.txt requirements-dev.txt | sha256sum | cut -c1-16)-$(basename "$req")
if [ ! -f "$stamp" ]; then
  echo "==> installing $req (CPU-only torch first)"
  $PIP install --quiet "torch==2.13.0"
  $PIP install --quiet -r "$req"
  touch "$stamp"
fi

if [ "${1:-}" = "--dev" ]; then
  missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  fc-list :lang=zh 2>/dev/null | grep -q . || missing+=(fonts-noto-cjk)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "==> installing Debian packages: ${missing[*]}"
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  [ -x /usr/bin/chromium ] || { echo "error: /usr/bin/chromium is missing (apt-get install chromium)" >&2; exit 1; }
fi
