#!/usr/bin/env bash
# README command 1: install what is missing, build, and run `vclab reproduce figure1` on CIFAR-10 when
# its files are found (--data-dir, $VCLAB_DATA, ./data/cifar10, ../shared/data/cifar10, ...), else on
# the Fashion-MNIST Debian package. Extra arguments go to `vclab reproduce figure1`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
exec "${VCLAB_BUILD_DIR:-build}"/vclab reproduce figure1 "$@"
