#!/usr/bin/env bash
# The test command of README.md: installs what is missing, builds, runs every test with ctest.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${GLASSLAB_BUILD_DIR:-$root/build}
bash "$root/scripts/build.sh"
cd "$build_dir"
ctest --output-on-failure -j"$(nproc)" --timeout 300
