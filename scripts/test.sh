#!/usr/bin/env bash
# Set up and run the whole test suite on a fresh Debian machine (the README's test command).
# Installs Debian's chromium when missing (Playwright cannot download its own browser here).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  echo "» chromium absent : installation du paquet Debian"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -e '.[test,prod]'

# pytest exits 5 when it collects nothing: that is a failure here too (set -e).
exec .venv/bin/pytest -q -p no:cacheprovider "$@"
