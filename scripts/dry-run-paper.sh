#!/usr/bin/env bash
# The main job of README.md: installs what is missing, builds, and dry-runs the paper's
# experiment on simulated hardware, printing where the data went.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${GLASSLAB_BUILD_DIR:-$root/build}
bash "$root/scripts/build.sh" --target glasslab
out=${GLASSLAB_OUT:-$root/out}
mkdir -p "$out"
db="$out/paper-dry-run.sqlite"
speed=${GLASSLAB_SPEED:-200}
echo "== heating profile (Linkam T95, simulated) at speed x$speed"
"$build_dir/app/glasslab" run "$root/schedules/paper/heating_profile.toml" --sim --speed "$speed" --db "$db"
echo "== data: $db"
"$build_dir/app/glasslab" runs --db "$db"
