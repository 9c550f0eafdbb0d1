#!/usr/bin/env bash
# Builds and runs the busconfig parser fuzz target.
#
#   scripts/fuzz-config.sh [SECONDS] [extra libFuzzer flags...]
#
# Compiles Fuzz/ConfigParser.swift in one module with every file of
# Sources/BusBroker/Config (so it may use internal API), with -sanitize=fuzzer,address,
# the way scripts/fuzz.sh does for DBusWire. The config code needs nothing from DBusWire.
# Seeds: the installed dbus-daemon configs, copied into the work corpus on first run.
# New inputs go to fuzz/corpus-work/ConfigParser, crashes to fuzz/out/ConfigParser.
set -euo pipefail
cd "$(dirname "$0")/.."
target=ConfigParser
seconds=${1:-60}
shift $(( $# >= 1 ? 1 : 0 ))

bin="fuzz/out/$target/$target"
work="fuzz/corpus-work/$target"
mkdir -p "fuzz/out/$target" "$work"
mapfile -t config < <(find Sources/BusBroker/Config -name '*.swift' | sort)
swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name BusConfigFuzz \
  "${config[@]}" "Fuzz/$target.swift" -o "$bin" 2> >(grep -v "Cannot export local symbol" >&2)

if [ -z "$(ls -A "$work")" ]; then
  for f in /usr/share/dbus-1/session.conf /usr/share/dbus-1/system.conf /usr/share/dbus-1/system.d/*.conf; do
    [ -f "$f" ] && cp "$f" "$work/seed-$(basename "$f")"
  done
  # One seed that reaches every include path: main, relative include, includedir, absolute include.
  printf '<busconfig><listen>unix:tmpdir=/tmp</listen><include>one.conf</include><includedir>d</includedir><include ignore_missing="yes">/abs.conf</include></busconfig>\0<busconfig><policy context="default"><allow own="a.b"/></policy></busconfig>\0<busconfig><limit name="auth_timeout">5</limit></busconfig>\0<busconfig><include>/f/main.conf</include></busconfig>' > "$work/seed-includes"
fi
exec "$bin" -max_total_time="$seconds" -artifact_prefix="fuzz/out/$target/" -print_final_stats=1 "$@" "$work"
