#!/usr/bin/env bash
# Installs codeseed, its models and everything its tests need into ./.venv. Safe to run again.
# torch is pinned to a CPU build: an unpinned torch pulls a multi-GB CUDA build for nothing.
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3}
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "codeseed needs Python 3.11 or newer")'
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet "torch==2.13.0" -e ".[dev,ray]"

# The browser tests drive Debian's Chromium through Playwright (Playwright's own browser download
# cannot work offline).
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "setup.sh: Chromium is missing; install it (Debian/Ubuntu: sudo apt-get install chromium) for the browser tests." >&2
    exit 1
  fi
fi
echo "codeseed is installed in .venv: try  .venv/bin/codeseed --help"
