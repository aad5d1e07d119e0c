#!/usr/bin/env bash
# Runs trainplan's libFuzzer targets (fuzz/README.md), each for N minutes, with ASan + UBSan and
# leak detection. Outside CI: the corpus replay test (tests/reliability) is what CI runs.
#
# Usage: ./scripts/fuzz.sh [-m MINUTES] [TARGET...]
#   MINUTES per target (default 10); TARGETs among job hf_config validation calibration units
#   (default all). Targets run one after another; run several copies with different TARGETs to
#   use more cores.
# Builds fuzz/ standalone with clang++ in build-fuzz/ (BUILD_DIR overrides). New corpus inputs go to
# fuzz-out/<target>/corpus, crashes, leaks and timeouts to fuzz-out/<target>/crashes, logs to
# fuzz-out/<target>/fuzz.log; a summary table is printed at the end and written to fuzz-out/summary.txt (by the last copy to finish).
# An input that breaks something belongs in tests/reliability/data/<target>/ once fixed.
set -euo pipefail
cd "$(dirname "$0")/.."

MINUTES=10
while getopts "m:h" opt; do
  case $opt in
    m) MINUTES=$OPTARG ;;
    *) sed -n '2,12p' "$0"; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(job hf_config validation calibration units)
BUILD_DIR=${BUILD_DIR:-build-fuzz}
OUT=${FUZZ_OUT:-fuzz-out}

command -v clang++ >/dev/null || { echo "fuzz.sh: clang++ not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 2; }
cmake -S fuzz -B "$BUILD_DIR" -G Ninja -DCMAKE_CXX_COMPILER=clang++ >/dev/null
cmake --build "$BUILD_DIR" -j "${BUILD_JOBS:-$(nproc)}"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
mkdir -p "$OUT"
summary="$OUT/summary.txt"
rm -f "$summary.$$"
printf "%-12s %8s %12s %8s %8s %8s %s\n" target seconds execs exec/s cov ft crashes > "$summary.$$"
status=0
for t in "${TARGETS[@]}"; do
  bin="$BUILD_DIR/bin/fuzz_$t"
  [ -x "$bin" ] || { echo "fuzz.sh: no target $t" >&2; exit 2; }
  mkdir -p "$OUT/$t/corpus" "$OUT/$t/crashes"
  echo "== fuzz_$t for $MINUTES min" >&2
  start=$(date +%s)
  set +e
  "$bin" -max_total_time=$((MINUTES * 60)) -timeout=30 -rss_limit_mb=4096 -max_len=65536 \
    -detect_leaks=1 -print_final_stats=1 -dict=fuzz/trainplan.dict \
    -artifact_prefix="$OUT/$t/crashes/" "$OUT/$t/corpus" "fuzz/corpus/$t" > "$OUT/$t/fuzz.log" 2>&1
  rc=$?
  set -e
  secs=$(( $(date +%s) - start ))
  execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$OUT/$t/fuzz.log" | awk '{s += $2} END {print s + 0}')
  last=$(grep -E '^#[0-9]+.*cov: ' "$OUT/$t/fuzz.log" | tail -1)
  cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<< "$last")
  ft=$(sed -n 's/.*ft: \([0-9]*\).*/\1/p' <<< "$last")
  crashes=$(find "$OUT/$t/crashes" -type f | wc -l)
  printf "%-12s %8s %12s %8s %8s %8s %s\n" "$t" "$secs" "$execs" "$(( execs / (secs > 0 ? secs : 1) ))" "${cov:-?}" "${ft:-?}" "$crashes" >> "$summary.$$"
  if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ]; then
    echo "fuzz_$t: exit $rc, $crashes artifact(s) in $OUT/$t/crashes (log: $OUT/$t/fuzz.log)" >&2
    status=1
  fi
done
mv "$summary.$$" "$summary"
cat "$summary"
exit $status
