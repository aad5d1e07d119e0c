#!/usr/bin/env bash
# Builds trainplan-profile standalone from profiler/ (needs only CMake >= 3.24 and the CUDA toolkit;
# NCCL, CUPTI and cuDNN are used when found) and runs it, writing the calibration file into $OUT when
# that is set (a device runner's output folder), else into configs/calibration/<gpu-key>.json.
#
#   profiler/run_on_device.sh            # full run (tens of minutes on one GPU)
#   profiler/run_on_device.sh --quick    # a few minutes
# Extra arguments go to trainplan-profile. Exit status is trainplan-profile's (3: no usable GPU).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
build="${TRAINPLAN_PROFILE_BUILD:-$root/build-profile-standalone}"

if ! command -v nvcc >/dev/null 2>&1; then
  for d in /usr/local/cuda/bin /usr/local/cuda-*/bin; do
    if [[ -x "$d/nvcc" ]]; then export PATH="$d:$PATH"; break; fi
  done
fi
command -v nvcc >/dev/null 2>&1 || { echo "run_on_device.sh: nvcc not found (install the CUDA toolkit)" >&2; exit 3; }
command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >&2 || echo "run_on_device.sh: nvidia-smi not found" >&2

generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
jobs="$(nproc 2>/dev/null || echo 4)"
cmake -S "$here" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release >&2
cmake --build "$build" -j "$jobs" >&2
exe="$build/bin/trainplan-profile"
[[ -x "$exe" ]] || { echo "run_on_device.sh: $exe was not built (CUDA not found by CMake?)" >&2; exit 4; }

args=("$@")
tmp=""
if [[ -n "${OUT:-}" ]]; then
  mkdir -p "$OUT"
  tmp="$OUT/calibration.json"
  args+=(--out "$tmp")
fi
log="${OUT:-$build}/trainplan-profile.log"
set +e
"$exe" "${args[@]}" 2> >(tee "$log" >&2)
status=$?
set -e
if [[ $status -eq 0 && -n "$tmp" && -f "$tmp" ]]; then
  # Name the file after the GPU key the profiler chose (the first "key" is gpu.key).
  key="$(grep -m1 -o '"key": "[^"]*"' "$tmp" | cut -d'"' -f4)"
  [[ -n "$key" ]] && mv "$tmp" "$OUT/$key.json" && echo "run_on_device.sh: wrote $OUT/$key.json" >&2
fi
exit $status
