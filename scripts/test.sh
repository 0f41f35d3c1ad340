#!/usr/bin/env bash
# Set up and run the whole test suite on a fresh Debian machine (the README's test command).
# Installs Debian's chromium and nginx when missing (Playwright cannot download its own browser here).
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests drive: chromium (browser tests), nginx (the production proxy,
# tests/test_serving.py). Installed only when missing; nginx is never started as a service.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
{ command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; } || missing+=(nginx)
if [ ${#missing[@]} -gt 0 ]; then
  echo "» absent : ${missing[*]} — installation des paquets Debian"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  # policy-rc.d: the package must not start nginx as a system service (nothing listens on :80).
  if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null; $SUDO chmod +x /usr/sbin/policy-rc.d; remove_policy=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  if [ "${remove_policy:-0}" = 1 ]; then $SUDO rm -f /usr/sbin/policy-rc.d; fi
fi

PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -e '.[test,prod]'

# Lint and types first (configured in pyproject.toml): zero findings, or the tests do not run.
.venv/bin/ruff check orient tests bench
.venv/bin/mypy

# pytest exits 5 when it collects nothing: that is a failure here too (set -e).
exec .venv/bin/pytest -q -p no:cacheprovider "$@"
