#!/usr/bin/env bash
# Installs trainplan's dependencies from Debian 12's packages (idempotent), builds it, and runs the
# main job on a shipped example. Usage: ./scripts/setup.sh [--no-run]
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(build-essential cmake ninja-build pkg-config git
  libsimgrid-dev libeigen3-dev nlohmann-json3-dev libcli11-dev libfmt-dev
  qt6-base-dev qt6-charts-dev libqt6opengl6-dev libxkbcommon-dev libgl-dev
  libgtest-dev googletest libbenchmark-dev
  libopenmpi-dev openmpi-bin
  clang clang-format libclang-rt-14-dev xvfb)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-$(nproc)}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >&2
fi
cmake --build "$BUILD_DIR" -j "$JOBS" >&2

if [ "${1:-}" != "--no-run" ]; then
  "$BUILD_DIR/bin/trainplan" plan configs/examples/llama3-70b-h100-plan.json
fi
