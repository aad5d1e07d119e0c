#!/usr/bin/env bash
# Builds the test suite with AddressSanitizer + UndefinedBehaviorSanitizer (TRAINPLAN_SANITIZE=ON)
# in build-asan/ and runs ctest there. The GUI, the SimGrid simulator (its context switching
# confuses ASan) and the benchmark are left out of this build; every other test runs.
# Usage: ./scripts/sanitize.sh [extra ctest arguments]     (BUILD_DIR, JOBS override)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build-asan}
JOBS=${JOBS:-$(nproc)}
start=$(date +%s)
cmake -S . -B "$BUILD_DIR" -G Ninja -DTRAINPLAN_SANITIZE=ON \
  -DTRAINPLAN_BUILD_GUI=OFF -DTRAINPLAN_BUILD_SIM=OFF -DTRAINPLAN_BUILD_BENCH=OFF -DTRAINPLAN_BUILD_PROFILER=OFF
# -k 0: a target that fails to build shows up as a *_NOT_BUILT test below instead of hiding the rest.
build_status=0
cmake --build "$BUILD_DIR" -j "$JOBS" -- -k 0 || build_status=$?
built=$(date +%s)
# halt_on_error: any report fails its test; detect_leaks: LeakSanitizer runs at each test's exit.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
test_status=0
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS" "$@" || test_status=$?
end=$(date +%s)
echo "sanitize.sh: build $((built - start)) s (status $build_status), tests $((end - built)) s (status $test_status)" >&2
[ "$build_status" -eq 0 ] && [ "$test_status" -eq 0 ]
