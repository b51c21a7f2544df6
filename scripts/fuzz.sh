#!/usr/bin/env bash
# Builds glasslab's libFuzzer targets (clang, ASan + UBSan, own build directory) and fuzzes each for a
# bounded time. docs/fuzzing.md explains the targets and what to do with a finding.
#
#   bash scripts/fuzz.sh [options] [SECONDS_PER_TARGET] [TARGET...]
#
#   SECONDS_PER_TARGET  default 60; TARGET default: all of them (see --list)
#   --keep        merge the inputs that add coverage into fuzz/corpus/<target>/ (the repository)
#   --build-only  configure and build the targets, fuzz nothing
#   --no-build    use the targets already built
#   --list        print the target names
#
# New corpus entries and findings go to a scratch directory, not the repository:
# $GLASSLAB_FUZZ_WORK_DIR (default /tmp/glasslab-fuzz)/<target>/{corpus,run-<time>/}. The build goes to
# $GLASSLAB_FUZZ_BUILD_DIR (default build-fuzz/). Exit status 1 when any target found a crash, a
# leak, a hang (an input running over 10 s) or ran out of memory; 2 for bad usage.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${GLASSLAB_FUZZ_BUILD_DIR:-$root/build-fuzz}
work_dir=${GLASSLAB_FUZZ_WORK_DIR:-${TMPDIR:-/tmp}/glasslab-fuzz}
all_targets=(linkam_reply rheometer_reply trios_lims trios_json schedule gr_reader)

# Longest input each target is given: a 'T' reply is 11 bytes; the others are text files where a few
# kilobytes reach every branch (the seeds that are longer are cut, which the parsers must take too).
max_len_of() {
  case "$1" in
    linkam_reply) echo 64 ;;
    rheometer_reply) echo 20480 ;;  # a full DATA? reply: 500 PT lines
    gr_reader) echo 32768 ;;  # a whole simulated-detector frame (about 31 kB)
    *) echo 16384 ;;
  esac
}

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

keep=0 build=1 fuzz=1 seconds=60 targets=()
for arg in "$@"; do
  case "$arg" in
    --keep) keep=1 ;;
    --build-only) fuzz=0 ;;
    --no-build) build=0 ;;
    --list) printf '%s\n' "${all_targets[@]}"; exit 0 ;;
    -h|--help) usage ;;
    -*) echo "fuzz.sh: unknown option $arg" >&2; usage ;;
    *)
      if [[ "$arg" =~ ^[0-9]+$ ]] && [ ${#targets[@]} -eq 0 ]; then
        seconds=$arg
      elif [[ " ${all_targets[*]} " == *" $arg "* ]]; then
        targets+=("$arg")
      else
        echo "fuzz.sh: unknown target '$arg' (known: ${all_targets[*]})" >&2; exit 2
      fi ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")

find_clang() {
  for c in clang++-14 clang++; do
    if command -v "$c" >/dev/null; then command -v "$c"; return; fi
  done
  echo "fuzz.sh: no clang++ found; bash scripts/setup-deps.sh installs clang-14 and libclang-rt-14-dev" >&2
  exit 2
}

if [ $build -eq 1 ]; then
  bash "$root/scripts/setup-deps.sh"
  cxx=$(find_clang)
  launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  cmake -S "$root" -B "$build_dir" -DGLASSLAB_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER="$cxx" "${launcher[@]}" >/dev/null
  # One invocation per target would compile them one after another: name them only when asked.
  if [ ${#targets[@]} -eq ${#all_targets[@]} ]; then
    cmake --build "$build_dir" -j"$(nproc)"
  else
    cmake --build "$build_dir" -j"$(nproc)" --target "${targets[@]/#/fuzz_}"
  fi
fi
[ $fuzz -eq 1 ] || exit 0

# UB is already fatal (-fno-sanitize-recover); stacks for UB too, and leaks are findings.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

# "#1234 DONE cov: 345 ft: 1020 corp: 57/3kb ..." -> the field after `key:` on the last status line.
# Empty when the run ended before its first status line (a finding among the seeds).
last_stat() { { grep -E '^#[0-9]+' "$1" || true; } | tail -1 | sed -nE "s/.* $2: ([0-9]+).*/\\1/p"; }

found=0
printf '%-16s %10s %12s %9s %8s  %s\n' target seconds executions "cov" "corpus" result
for target in "${targets[@]}"; do
  binary=$build_dir/fuzz/fuzz_$target
  [ -x "$binary" ] || { echo "fuzz.sh: $binary not built (run without --no-build)" >&2; exit 2; }
  corpus=$work_dir/$target/corpus
  run=$work_dir/$target/run-$(date +%Y%m%d-%H%M%S)-$$
  mkdir -p "$corpus" "$run"
  seeds=()
  for d in "$root/fuzz/corpus/$target" "$root/fuzz/regressions/$target"; do [ -d "$d" ] && seeds+=("$d"); done
  dict=()
  [ -f "$root/fuzz/dict/$target.dict" ] && dict=(-dict="$root/fuzz/dict/$target.dict")
  fuzz_once() {
    # The first corpus directory receives the new inputs: the scratch one, never the repository's.
    nice -n 10 "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -max_len="$(max_len_of "$target")" -artifact_prefix="$run/" -print_final_stats=1 "${dict[@]}" \
      "$@" "$corpus" "${seeds[@]}" >"$run/log" 2>&1
  }
  status=0
  fuzz_once || status=$?
  # LeakSanitizer stops the world with ptrace; a container that forbids ptrace makes it fail on its
  # own. Then fuzz again without leak detection (every other check stays) and say so.
  if [ $status -ne 0 ] && grep -q 'LeakSanitizer has encountered a fatal error' "$run/log"; then
    echo "    note: LeakSanitizer cannot run here (ptrace refused); $target fuzzed without leak detection"
    status=0
    ASAN_OPTIONS=detect_leaks=0 fuzz_once -detect_leaks=0 || status=$?
  fi
  executions=$(sed -nE 's/^stat::number_of_executed_units: ([0-9]+)/\1/p' "$run/log" | tail -1)
  edges=$(sed -nE 's/.*\(([0-9]+) inline 8-bit counters\).*/\1/p' "$run/log" | head -1)
  artifacts=$(find "$run" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
    -o -name 'oom-*' \) | sort)
  if [ $status -ne 0 ] || [ -n "$artifacts" ]; then
    found=1
    result="FINDING (exit $status): ${artifacts:-no input saved} ; log: $run/log"
  else
    result="no crash"
  fi
  covered=$(last_stat "$run/log" cov)
  kept=$(last_stat "$run/log" corp)
  printf '%-16s %10s %12s %9s %8s  %s\n' "$target" "$seconds" "${executions:-?}" \
    "${covered:-?}/${edges:-?}" "${kept:-?}" "$result"
  if [ $status -ne 0 ]; then
    grep -E '^(==[0-9]+==ERROR|SUMMARY|glasslab fuzz finding|.*runtime error)' "$run/log" | head -5 | sed 's/^/    /'
  fi
  if [ $keep -eq 1 ] && [ $status -eq 0 ]; then
    mkdir -p "$root/fuzz/corpus/$target"
    "$binary" -merge=1 -max_len="$(max_len_of "$target")" "$root/fuzz/corpus/$target" "$corpus" \
      >"$run/merge.log" 2>&1
    echo "    kept: $(grep -Eo 'MERGE-OUTER: [0-9]+ new files' "$run/merge.log" || echo '? new files') in fuzz/corpus/$target"
  fi
done
exit $found
