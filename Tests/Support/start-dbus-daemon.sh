#!/usr/bin/env bash
# Private dbus-daemon: starts a session-type bus on its own socket and prints its address.
#
# Usage: start-dbus-daemon.sh [DIR]
#   Prints `unix:path=DIR/bus,guid=…` on stdout once the bus listens, then runs until
#   killed. Without DIR a fresh temporary directory is made and removed on exit. Service
#   files dropped into DIR/services are activatable. Logs go to stderr.
#   Stop it with `kill -- -PGID` (start it with `setsid` so it has its own group) or by
#   sending SIGTERM to this script alone: either way nothing is left running.
#
# The config is written here rather than taken from /usr/share/dbus-1/session.conf so that
# the bus sees no host service files or session.d snippets: tests get the same bus on
# every machine.
set -euo pipefail

if [[ $# -ge 1 ]]; then
  dir=$1; owned_dir=false; mkdir -p "$dir"
else
  dir=$(mktemp -d "${TMPDIR:-/tmp}/swiftbus-daemon.XXXXXX"); owned_dir=true
fi
socket=$dir/bus
config=$dir/bus.conf
mkdir -p "$dir/services"
rm -f "$socket"

cat >"$config" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:path=$socket</listen>
  <auth>EXTERNAL</auth>
  <servicedir>$dir/services</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
CONF

child=
cleanup() {
  trap - EXIT TERM INT HUP
  if [[ -n $child ]] && kill -0 "$child" 2>/dev/null; then
    kill -TERM "$child" 2>/dev/null || true
    wait "$child" 2>/dev/null || true
  fi
  rm -f "$socket" "$config"
  if $owned_dir; then rm -rf "$dir"; fi
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
trap 'exit 129' HUP

# dbus-daemon prints the address only once it listens, so the first line is a readiness
# signal as well.
dbus-daemon --config-file="$config" --nofork --nopidfile --print-address=1 &
child=$!
wait "$child"
