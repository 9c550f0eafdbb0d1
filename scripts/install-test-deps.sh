#!/usr/bin/env bash
# Installs the real D-Bus components the tests run against and the Python packages the test
# vector scripts use. Only installs what is missing, so a warm machine pays nothing.
set -euo pipefail

debs=(dbus-daemon dbus-bin dbus-broker dbus-tests systemd libglib2.0-bin python3-gi python3-dbus python3-venv)
missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
