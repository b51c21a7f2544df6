#!/usr/bin/env bash
# The test command of README.md: installs what is missing, builds, runs every test with ctest.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${GLASSLAB_BUILD_DIR:-$root/build}
bash "$root/scripts/build.sh"
cd "$build_dir"
# One ctest run shows every test, the libFuzzer smoke included: fuzz/CMakeLists.txt registers
# "fuzz: build" (the clang build of the fuzz targets, a fixture) and "fuzz: smoke <target>" (the
# seeds and saved regressions under ASan/UBSan, then 5 s of fuzzing) with label fuzz, about a minute
# in all (docs/fuzzing.md). Long fuzzing is scripts/fuzz.sh's job, not CI's.
ctest --output-on-failure -j"$(nproc)" --timeout 300
