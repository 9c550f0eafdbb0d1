#!/usr/bin/env bash
# Private dbus-broker: starts one without systemd and prints its address on stdout.
#
# Usage: start-dbus-broker.sh [DIR]
#   Prints `unix:path=DIR/bus` once the bus answers, then runs until killed. Without DIR a
#   fresh temporary directory is made and removed on exit. Logs go to stderr.
#   Stop it with `kill -- -PGID` (start it with `setsid` so it has its own group) or by
#   sending SIGTERM to this script alone: either way nothing is left running.
#
# dbus-broker-launch expects systemd: socket activation on fd 3 and a journal socket at
# /run/systemd/journal/socket. socket-activate.py supplies both; the journal socket lives
# on a tmpfs in a private mount namespace (unshare -m), so the host's /run is untouched.
# In the user scope the launcher connects back to its own bus, which it finds through
# DBUS_SESSION_BUS_ADDRESS.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# How long to wait for the bus to answer before giving up (in tenths of a second).
readiness_tries=100

if [[ $# -ge 1 ]]; then
  dir=$1; owned_dir=false; mkdir -p "$dir"
else
  dir=$(mktemp -d "${TMPDIR:-/tmp}/swiftbus-broker.XXXXXX"); owned_dir=true
fi
socket=$dir/bus
address=unix:path=$socket
rm -f "$socket"

child=
cleanup() {
  trap - EXIT TERM INT HUP
  if [[ -n $child ]] && kill -0 "$child" 2>/dev/null; then
    kill -TERM "$child" 2>/dev/null || true
    wait "$child" 2>/dev/null || true
  fi
  rm -f "$socket"
  if $owned_dir; then rm -rf "$dir"; fi
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
trap 'exit 129' HUP

# /run/systemd exists on most Debian machines even without systemd running; where it does
# not, the tmpfs goes over /run itself (only inside the namespace).
run_mount=/run/systemd
[[ -d $run_mount ]] || run_mount=/run

XDG_RUNTIME_DIR=$dir DBUS_SESSION_BUS_ADDRESS=$address unshare -m --propagation private -- /bin/sh -c '
  mount -t tmpfs -o mode=0755 swiftbus-run "$1" || exit 1
  shift
  exec "$@"
' sh "$run_mount" \
  /usr/bin/python3 "$here/socket-activate.py" --listen "$socket" \
  --journal /run/systemd/journal/socket -- dbus-broker-launch --scope user &
child=$!

for ((i = 0; i < readiness_tries; i++)); do
  if ! kill -0 "$child" 2>/dev/null; then
    echo "start-dbus-broker: dbus-broker-launch exited before the bus was ready" >&2
    exit 1
  fi
  if dbus-send --bus="$address" --print-reply=literal --reply-timeout=1000 \
      --dest=org.freedesktop.DBus / org.freedesktop.DBus.GetId >/dev/null 2>&1; then
    echo "$address"
    wait "$child"
    exit $?
  fi
  sleep 0.1
done
echo "start-dbus-broker: no answer on $address after $((readiness_tries / 10)) s" >&2
exit 1
