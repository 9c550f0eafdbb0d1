#!/usr/bin/env bash
# Installs everything the tests need (Debian and PyPI packages), then runs every test.
# Safe to run again: installs are skipped when already present.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-test-deps.sh
swift build --build-tests
swift test --skip-build
