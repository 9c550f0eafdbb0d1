#!/usr/bin/env bash
# Bus benchmark: swiftbusd against dbus-daemon and dbus-broker, side by side in one run.
#
# Usage: Benchmarks/Bus/run.sh [--smoke] [--repetitions N] [--no-callgrind] [--cases A,B] [--output FILE]
#   Builds the two clients (buswork on our wire layer, sdbus-client on libsystemd's sd-bus)
#   and swiftbusd (release), then runs runner.py, which prints the tables in markdown.
#   --smoke: tiny counts, one repetition (under 30 s): checks the runner still works.
#   --cases: only the rows whose name contains one of the comma-separated substrings (no
#   callgrind); the floors and memcpy are always measured.
#   A full run takes under 10 minutes. swiftbusd's column says "not built" when the broker
#   cannot be built or started. Needs: dbus-daemon, dbus-broker, libsystemd-dev, gcc, and
#   root (dbus-broker-launch runs in a private mount namespace, as in Tests/Support).
#   SWIFTBUSD=/path/to/swiftbusd measures that binary instead of building this tree's;
#   SWIFTBUSD_ARGS="--busy-poll=0" passes options to it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# 1 000 idle connections need 1 000 descriptors in the client and the bus; the hard limit here is 20 000.
file_limit=20000

ulimit -n "$file_limit" 2>/dev/null || ulimit -n "$(ulimit -Hn)"

echo "run.sh: building buswork (release)" >&2
# SwiftPM's build plan for this package misses files added to the root package since it
# was made (buswork then fails to build and an old binary would be measured): re-plan.
rm -f "$here/.build/release.yaml" "$here/.build/build.db"
mkdir -p "$here/.build"
if ! (cd "$here" && swift build -c release --product buswork) >"$here/.build/buswork-build.log" 2>&1; then
  grep -E "error:" "$here/.build/buswork-build.log" | head -5 >&2 || true
  echo "run.sh: buswork did not build (log in .build/buswork-build.log)" >&2
  exit 1
fi

echo "run.sh: compiling sdbus-client" >&2
gcc -O2 -Wall -Wextra -o "$here/.build/sdbus-client" "$here/sdbus-client.c" \
  $(pkg-config --cflags --libs libsystemd)

if [[ -n ${SWIFTBUSD:-} ]]; then
  echo "run.sh: using SWIFTBUSD=$SWIFTBUSD" >&2
else
  echo "run.sh: building swiftbusd (release; log in .build/swiftbusd-build.log)" >&2
  if ! (cd "$root" && swift build -c release --product swiftbusd) >"$here/.build/swiftbusd-build.log" 2>&1; then
    grep -E "error:" "$here/.build/swiftbusd-build.log" | head -5 >&2 || true
    echo "run.sh: swiftbusd did not build; its column will say so" >&2
    rm -f "$root/.build/release/swiftbusd"
  fi
fi

exec /usr/bin/python3 "$here/runner.py" "$@"
