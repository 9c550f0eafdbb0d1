#!/usr/bin/env bash
# Bus helper check: proves Tests/Support/start-dbus-{broker,daemon}.sh give a working bus
# that real clients (busctl, dbus-send, gdbus) can use, and that killing the helper's
# process group leaves no process and no temporary directory behind.
#
# Runs in a few seconds; scripts/test.sh runs it before the Swift tests so a machine whose
# buses cannot start fails early with the helper's own log instead of in a Swift test.
set -euo pipefail
cd "$(dirname "$0")/.."
# Tenths of a second to wait for a helper to print its address, and for its group to exit.
start_tries=100
stop_tries=50

check() {
  local helper=$1 out err pid address dir
  out=$(mktemp); err=$(mktemp)
  setsid "Tests/Support/$helper" >"$out" 2>"$err" &
  pid=$!   # setsid from a non-interactive shell execs: this is the group leader
  for ((i = 0; i < start_tries; i++)); do
    [[ -s $out ]] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  address=$(head -n 1 "$out")
  if [[ -z $address ]]; then
    echo "$helper: printed no address; its log:" >&2; cat "$err" >&2
    kill -- -"$pid" 2>/dev/null || true; return 1
  fi
  busctl --address="$address" list --no-pager >/dev/null
  dbus-send --bus="$address" --print-reply --dest=org.freedesktop.DBus / \
    org.freedesktop.DBus.ListNames | grep -q '"org.freedesktop.DBus"'
  gdbus call --address "$address" --dest org.freedesktop.DBus --object-path / \
    --method org.freedesktop.DBus.GetId >/dev/null

  kill -TERM -- -"$pid"
  for ((i = 0; i < stop_tries; i++)); do
    pgrep -g "$pid" >/dev/null || break
    sleep 0.1
  done
  if pgrep -g "$pid" >/dev/null; then
    echo "$helper: processes left after kill:" >&2; ps -o pid,stat,cmd -g "$pid" >&2
    return 1
  fi
  dir=${address#unix:path=}; dir=${dir%%,*}; dir=$(dirname "$dir")
  if [[ -e $dir ]]; then
    echo "$helper: left $dir behind" >&2; return 1
  fi
  rm -f "$out" "$err"
  echo "bus helper ok: $helper ($address)"
}

check start-dbus-broker.sh
check start-dbus-daemon.sh
