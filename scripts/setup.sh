#!/usr/bin/env bash
# Set up ifsmith in ./.venv. With --test, also what the test suite needs.
# As root on Debian/Ubuntu, installs missing apt packages first, without starting any
# service they ship (a policy-rc.d refuses starts during the install), so installing
# NetworkManager for the tests cannot take over this machine's network.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

apt_run=(iproute2 python3-venv)
apt_test=(user-mode-linux kmod netplan.io network-manager ifupdown ifenslave bridge-utils
          tmux dbus systemd udev procps util-linux iputils-ping gcc libc6-dev openssh-server)

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    pkgs=("${apt_run[@]}")
    [ $want_test = 1 ] && pkgs+=("${apt_test[@]}")
    missing=()
    for p in "${pkgs[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "setup: installing apt packages: ${missing[*]}" >&2
        made_policy=0
        if [ ! -e /usr/sbin/policy-rc.d ]; then
            printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
            chmod 755 /usr/sbin/policy-rc.d
            made_policy=1
        fi
        trap '[ $made_policy = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
        echo "setup: apt-get update" >&2
        apt-get update -q >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
    fi
fi

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    echo "setup: creating the virtual environment ./.venv" >&2
    "$python" -m venv .venv || {
        rm -rf .venv
        echo "setup: $python -m venv failed: install python3-venv (as root: apt-get install python3-venv, or run this script as root)" >&2
        exit 1
    }
fi
extra=""
[ $want_test = 1 ] && extra="[test]"
stamp=".venv/.ifsmith-installed$extra"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    # The first run's longest step (15-20 s): say what it is doing instead of a blank pause.
    what="ifsmith and its Python packages (lxml, pyroute2, PyYAML, textual)"
    [ $want_test = 1 ] && what="$what and the test tools"
    echo "setup: installing $what into ./.venv" >&2
    .venv/bin/python -m pip install -q --disable-pip-version-check -e ".$extra" 2>&1 \
        | grep -v "^WARNING: Location" >&2 || true
    .venv/bin/python -c "import ifsmith.core.model, lxml, pyroute2, yaml" \
        || { echo "setup: installing the Python packages failed" >&2; exit 1; }
    touch "$stamp"
    echo "setup: done" >&2
fi
