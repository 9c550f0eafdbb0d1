#!/usr/bin/env bash
# Test dependency installer: the real D-Bus buses and clients the tests run against.
#
# Installs only what is missing, so a warm machine pays two dpkg queries and a pip check.
# Prints one line naming what it installed ("installed: none" when nothing was needed),
# which .ci/run shows so a green CI that relied on a hand-installed package is visible.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: the reference brokers (dbus-daemon, dbus-broker), their command-line
# clients (dbus-send/dbus-monitor, busctl, gdbus), the dbus test tools, and the Python
# bindings (GIO via python3-gi, libdbus via python3-dbus) that generate the wire vectors.
# util-linux provides unshare, which the dbus-broker helper needs for its private /run.
# xdg-desktop-portal-dev installs ~50 interface files under /usr/share/dbus-1/interfaces,
# real XML for the code generator tests (0.8 MB, no daemon).
debs=(dbus-daemon dbus-bin dbus-broker dbus-tests systemd libglib2.0-bin xdg-desktop-portal-dev
      python3-gi python3-dbus python3-venv util-linux)
# PyPI packages, in a venv that also sees Debian's python3-gi and python3-dbus; pytest runs
# the interop suite (Tests/Interop).
pips=(dbus-fast python-dbusmock pytest)
venv=.venv

installed=()

missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  installed+=("${missing[@]/#/apt:}")
fi

if [[ ! -x $venv/bin/python ]]; then
  /usr/bin/python3 -m venv --system-site-packages "$venv"
  installed+=("venv:$venv")
fi
missing=()
for p in "${pips[@]}"; do
  "$venv/bin/python" -m pip show -q "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  "$venv/bin/python" -m pip install -q --disable-pip-version-check "${missing[@]}"
  installed+=("${missing[@]/#/pip:}")
fi

if ((${#installed[@]})); then
  echo "installed: ${installed[*]}"
else
  echo "installed: none (all test dependencies already present)"
fi
