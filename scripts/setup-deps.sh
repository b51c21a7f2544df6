#!/usr/bin/env bash
# Installs the Debian 12 packages glasslab builds and tests with, only those missing.
# Idempotent: a second call on a set-up machine installs nothing and asks no registry.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libserialport-dev libusb-1.0-0-dev libsqlite3-dev sqlite3
  libboost-dev libboost-system-dev libeigen3-dev libfftw3-dev libhwy-dev
  libspdlog-dev libfmt-dev nlohmann-json3-dev libtomlplusplus-dev libcli11-dev
  doctest-dev libbenchmark-dev gnuplot-nox
  python3 python3-numpy python3-scipy
  libfaketime   # the fault matrix's wall-clock jump (tests/e2e/faults/clock_jump_test.cpp)
  libssl-dev    # the run control token (SHA-256, RAND_bytes)
  chromium      # the dashboard's browser test: headless, driven by playwright-core from npm
  # scripts/fuzz.sh: clang with the libFuzzer/sanitizer runtimes (only a Recommends of clang-14),
  # and llvm-14 for llvm-symbolizer, which turns a finding's stack into file:line.
  clang-14 libclang-rt-14-dev llvm-14
)
# Node.js and npm install the dashboard's pinned npm packages (uPlot, playwright-core: node >= 20);
# the lab machines ship Node.js 20, Debian's own packages are the fallback.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "glasslab setup: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
