#!/usr/bin/env bash
# The main job of README.md: installs what is missing, builds, and dry-runs the paper's experiments
# on simulated instruments that speak the real wire protocols, ending in their analysis:
#   1. in-situ XRD: Linkam T95 93.15 -> 873.15 K at 10 K/min with a 12 s frame back to back,
#      cooled at 50 K/min (schedules/paper/xrd_insitu_heating.toml) -> Seq(T), heat flow, Tg;
#   2. DMA: DHR-3 in bending, 123.15 -> 873.15 K, 0.05-15 Hz (schedules/paper/dma_relaxations.toml)
#      -> loss peaks and the activation energies of the alpha, beta and gamma relaxations.
# Environment: GLASSLAB_OUT (default ./out), GLASSLAB_SPEED (default 200 for XRD, DMA x2 that).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${GLASSLAB_BUILD_DIR:-$root/build}
bash "$root/scripts/build.sh" --target glasslab
glasslab="$build_dir/app/glasslab"
out=${GLASSLAB_OUT:-$root/out}
mkdir -p "$out"
db="$out/paper-dry-run.sqlite"
speed=${GLASSLAB_SPEED:-200}

run() {  # run SCHEDULE SPEED -> prints the run id (the last stdout line of `glasslab run`)
  local id
  # stdout is echoed to stderr through the inherited descriptor: `tee /dev/stderr` would reopen a
  # redirected log file and truncate what was written before it.
  id=$("$glasslab" run "$1" --sim --speed "$2" --db "$db" | tee >(cat >&2) | tail -n 1)
  echo "$id"
}

echo "== plan of the in-situ XRD experiment" >&2
"$glasslab" check "$root/schedules/paper/xrd_insitu_heating.toml" >&2
echo "== in-situ XRD on the simulated Linkam T95 + FT232H trigger box + detector, x$speed" >&2
xrd_run=$(run "$root/schedules/paper/xrd_insitu_heating.toml" "$speed")
echo "== analysis of run $xrd_run: Seq(T), heat flow" >&2
"$glasslab" analyze "$xrd_run" --db "$db" --out "$out/reports/run-$xrd_run"

echo "== DMA on the simulated DHR-3, x$((speed * 2))" >&2
dma_run=$(run "$root/schedules/paper/dma_relaxations.toml" "$((speed * 2))")
echo "== analysis of run $dma_run: loss peaks, activation energies" >&2
"$glasslab" analyze "$dma_run" --db "$db" --out "$out/reports/run-$dma_run"

echo
echo "Data: $db (runs $xrd_run and $dma_run; 'glasslab runs --db $db')"
echo "Reports with plots: $out/reports/run-$xrd_run/ and $out/reports/run-$dma_run/"
