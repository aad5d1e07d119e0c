#!/usr/bin/env bash
# Runs trainplan's whole test suite; installs and builds first when needed.
# Usage: ./scripts/test.sh [extra ctest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
./scripts/setup.sh --no-run
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "${JOBS:-$(nproc)}" "$@"
