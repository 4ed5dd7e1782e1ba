#!/usr/bin/env bash
# Configures and builds vclab in Release mode into ./build (or $VCLAB_BUILD_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${VCLAB_BUILD_DIR:-build}"
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release
cmake --build "$build_dir" -j"$(nproc)"
