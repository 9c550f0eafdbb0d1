#!/bin/bash
# Instructions per kdbus 8 B round trip (call + reply between two KDBusChannel clients), in
# the broker and in the calling client, counted with callgrind: the difference between a
# short and a long run, divided by the extra round trips, so connection set-up cancels out.
# The broker runs with --busy-poll=0 (its idle spins would count valgrind's speed).
#
# Usage: Benchmarks/Bus/kdbus-callgrind.sh   (after `swift build -c release --product swiftbusd`
# and, in Benchmarks/Bus, `swift build -c release --product buswork`)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
# Symbols stay, debug info goes: callgrind then reads the binaries in seconds.
objcopy --strip-debug "$root/.build/release/swiftbusd" "$work/swiftbusd"
objcopy --strip-debug "$root/Benchmarks/Bus/.build/release/buswork" "$work/buswork"
address="unix:path=$work/bus"

total() { callgrind_annotate "$1" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }'; }

# The broker under callgrind, a plain client pair: `count` round trips.
broker_run() {
    rm -f "$work/bus"
    valgrind --tool=callgrind --callgrind-out-file="$work/broker.$1" "$work/swiftbusd" --session \
        --address "$address" --nofork --busy-poll=0 2>/dev/null &
    local bus=$!
    sleep 3
    "$work/buswork" kdbus-server "$address" >/dev/null &
    local server=$!
    sleep 2
    "$work/buswork" kdbus-rtt "$address" size=8 count="$1" >/dev/null
    kill $server; sleep 0.5; kill $bus; wait $bus 2>/dev/null || true
}

# The calling client under callgrind, a plain broker and server.
client_run() {
    rm -f "$work/bus"
    "$work/swiftbusd" --session --address "$address" --nofork --busy-poll=0 2>/dev/null &
    local bus=$!
    sleep 0.5
    "$work/buswork" kdbus-server "$address" >/dev/null &
    local server=$!
    sleep 0.5
    valgrind --tool=callgrind --callgrind-out-file="$work/client.$1" "$work/buswork" kdbus-rtt "$address" \
        size=8 count="$1" warmup=0 >/dev/null 2>&1
    kill $server $bus; wait 2>/dev/null || true
}

broker_run 300; broker_run 1300
echo "broker: $(( ($(total "$work/broker.1300") - $(total "$work/broker.300")) / 1000 )) instructions per kdbus 8 B round trip"
client_run 2000; client_run 6000
echo "client: $(( ($(total "$work/client.6000") - $(total "$work/client.2000")) / 4000 )) instructions per kdbus 8 B round trip (the caller)"
