#!/usr/bin/env bash
# The test command: installs what the tests need, builds, and runs every test.
#
# Safe to run again: installs are skipped when already present. It runs the Swift tests,
# then the interop suite (Tests/Interop: real clients against a real swiftbusd, built here
# as .build/debug/swiftbusd). Its last line is pytest's own closing line ("N passed, M
# xfailed in S s"), which CI reads; nothing is printed after it. Either suite failing fails
# the run. SWIFTBUS_TEST_BUS=dbus-daemon or dbus-broker runs the interop suite against a
# reference bus instead, to check the tests themselves.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-test-deps.sh
# Tests that start real buses find the Python tools here (dbus-fast, python-dbusmock).
export PATH=$PWD/.venv/bin:$PATH
scripts/check-bus-helpers.sh
swift build --build-tests
# One test at a time: on a 2-core CI machine parallel suites that start buses, compilers and
# python clients starved each other's timing bounds (a 27 s stall once); serial takes as long.
swift test --skip-build --no-parallel
# -p no:cacheprovider: no .pytest_cache in the tree. An empty selection (exit 5) is a
# failure here like any other.
.venv/bin/python -m pytest Tests/Interop -q -p no:cacheprovider
