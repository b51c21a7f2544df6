#!/usr/bin/env bash
# Builds the analysis benchmark and its inputs, runs Google Benchmark and the NumPy/SciPy
# reference on the same files, and prints the comparison (timings, speed-up, Seq agreement).
# Usage: bench/analysis/run.sh [BUILD_DIR]   (default: build-analysis-bench, Release)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:-$root/build-analysis-bench}"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DGLASSLAB_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j2 --target analysis_bench analysis_make_inputs
inputs="$(mktemp -d /tmp/glasslab-analysis-bench.XXXXXX)"
trap 'rm -rf "$inputs"' EXIT
"$build/bench/analysis/analysis_make_inputs" "$inputs"
"$build/bench/analysis/analysis_bench" --inputs "$inputs" --reference "$root/bench/analysis/reference.py" \
  --benchmark_min_time=0.2
