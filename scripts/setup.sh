#!/usr/bin/env bash
# Set up everything on a fresh Debian/Ubuntu machine: system packages, .venv, the package.
# Usage: scripts/setup.sh [extras]   e.g. scripts/setup.sh dev
set -euo pipefail
cd "$(dirname "$0")/.."

extras="${1:-}"
need_apt=()
new_mosquitto=0
if ! command -v mosquitto >/dev/null 2>&1 && [ ! -x /usr/sbin/mosquitto ]; then
    need_apt+=(mosquitto); new_mosquitto=1
fi
python3 -c 'import ensurepip, venv' 2>/dev/null || need_apt+=(python3-venv)
# systemd-analyze (tests/service/test_unit.py checks the units with it)
command -v systemd-analyze >/dev/null 2>&1 || need_apt+=(systemd)
if [[ ",$extras," == *,dev,* ]]; then  # the console's browser tests drive Debian's Chromium
    [ -x /usr/bin/chromium ] || need_apt+=(chromium)
    [ -x /usr/bin/chromedriver ] || need_apt+=(chromium-driver)
fi
# The tests (dev): an extension module built against Debian's own numpy, for the Pi installer's
# test (tests/service/test_install_pi.py).
if [[ ",$extras," == *,dev,* ]] && [ -x /usr/bin/python3 ] && command -v apt-get >/dev/null 2>&1 \
    && ! /usr/bin/python3 -c 'import pywt' 2>/dev/null; then
    need_apt+=(python3-pywt)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
    sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    echo "setup: installing Debian packages: ${need_apt[*]}"
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${need_apt[@]}"
    # Debian enables and starts the broker it installs; the tests and scripts/run.sh start their
    # own on demand, so this machine is left without a broker running at every boot.
    if [ "$new_mosquitto" = 1 ] && [ -d /run/systemd/system ]; then
        "${sudo_cmd[@]}" systemctl disable --now mosquitto.service >/dev/null 2>&1 || true
    fi
fi

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
stamp=".venv/.installed-${extras:-base}"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e ".${extras:+[$extras]}"
    touch "$stamp"
fi
