#!/usr/bin/env bash
# README command 2: install what is missing, build, run the whole test suite under ctest.
# Data-dependent tests read ../shared/data (override with VCLAB_TEST_DATA); absent data => visible SKIP lines.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
cd "${VCLAB_BUILD_DIR:-build}"
export VCLAB_NO_PROGRESS=1
ctest --output-on-failure --timeout 1500
