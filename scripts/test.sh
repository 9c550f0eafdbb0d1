#!/usr/bin/env bash
# The test command: installs what the tests need, builds, and runs every test.
#
# Safe to run again: installs are skipped when already present. Its last line is
# `swift test`'s own closing line, which CI reads; nothing is printed after it.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-test-deps.sh
# Tests that start real buses find the Python tools here (dbus-fast, python-dbusmock).
export PATH=$PWD/.venv/bin:$PATH
scripts/check-bus-helpers.sh
swift build --build-tests
swift test --skip-build
