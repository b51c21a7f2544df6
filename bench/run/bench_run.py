#!/usr/bin/env python3
"""Issue 2 figures, each printed beside a peer measured in the same run.

1. The paper's heating profile (~95 min of experiment time) dry-run: wall time (target < 60 s);
   peer: the same profile in real time (its experiment duration).
2. 10 Hz polling in real time: p99 |spacing - 100 ms| of logged readings (target < 2 ms);
   peer: a naive Python loop pacing with time.sleep(0.1) after each iteration.
3. Peak resident memory of `glasslab run` (target < 64 MiB); peer: the simulator it started.
4. Database bytes per stage reading (target < 200); peer: the same readings as CSV.

Usage: bench_run.py BUILD_DIR [SOURCE_DIR]
"""
import os, sqlite3, subprocess, sys, tempfile, time

build = os.path.abspath(sys.argv[1])
source = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "../.."))
glasslab = os.path.join(build, "app", "glasslab")
results = []


def run_measured(args):
    """Runs a command; returns (exit code, wall s, peak RSS KiB of it and its waited children, stdout)."""
    start = time.monotonic()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, time.monotonic() - start, usage.ru_maxrss, out


def report(name, value, unit, target, ok, peer):
    results.append(ok)
    print(f"{name:<48} {value:>10.3f} {unit:<6} target {target:<10} {'PASS' if ok else 'FAIL'}   peer: {peer}")


with tempfile.TemporaryDirectory() as tmp:
    db = os.path.join(tmp, "bench.sqlite")
    profile = os.path.join(source, "schedules/paper/heating_profile.toml")
    speed = float(os.environ.get("GLASSLAB_BENCH_SPEED", "1000"))
    code, wall_s, rss_kib, out = run_measured([glasslab, "run", profile, "--sim", "--speed", str(speed), "--db", db, "--quiet"])
    if code != 0:
        sys.exit(f"heating profile dry run failed with exit code {code}")
    run_id = out.strip().splitlines()[-1]
    con = sqlite3.connect(db)
    start_ns, stop_ns = con.execute("SELECT start_mono_ns, stop_mono_ns FROM runs WHERE id=?", (run_id,)).fetchone()
    experiment_s = (stop_ns - start_ns) * 1e-9
    n = con.execute("SELECT count(*) FROM stage_readings WHERE run_id=?", (run_id,)).fetchone()[0]
    con.close()
    report("heating profile dry run, wall time", wall_s, "s", "< 60 s", wall_s < 60,
           f"real time {experiment_s:.0f} s ({experiment_s / 60:.1f} min of experiment): x{experiment_s / wall_s:.0f}")
    sim_rss = subprocess.run(["bash", "-c", f"command -v /usr/bin/time >/dev/null && /usr/bin/time -f %M {glasslab} sim linkam --help >/dev/null"],
                             capture_output=True, text=True).stderr.strip().splitlines()
    report("peak RSS of glasslab run (incl. its simulator)", rss_kib / 1024, "MiB", "< 64 MiB", rss_kib / 1024 < 64,
           f"`glasslab sim linkam --help` alone: {int(sim_rss[-1]) / 1024 if sim_rss else float('nan'):.1f} MiB")
    for suffix in ("-wal", "-shm"):
        if os.path.exists(db + suffix):
            sqlite3.connect(db).execute("PRAGMA wal_checkpoint(TRUNCATE)").close()
    size = os.path.getsize(db)
    csv = subprocess.run([glasslab, "export", run_id, "--stream", "stage", "--format", "csv", "--db", db],
                         capture_output=True, text=True).stdout
    report("database bytes per stage reading", size / n, "B", "< 200 B", size / n < 200,
           f"CSV export of the same {n} readings: {len(csv) / n:.0f} B/reading")

    db10 = os.path.join(tmp, "poll10.sqlite")
    code, _, _, out = run_measured([glasslab, "run", os.path.join(source, "bench/run/poll_10hz.toml"), "--sim", "--db", db10, "--quiet"])
    if code != 0:
        sys.exit(f"10 Hz polling run failed with exit code {code}")
    run_id = out.strip().splitlines()[-1]
    con = sqlite3.connect(db10)
    t = [r[0] for r in con.execute("SELECT t_mono_ns FROM stage_readings WHERE run_id=? ORDER BY t_mono_ns", (run_id,))]
    dev = sorted(abs((b - a) * 1e-6 - 100.0) for a, b in zip(t, t[1:]))
    p99 = dev[int(0.99 * (len(dev) - 1))]
    naive = []
    last = time.monotonic()
    for _ in range(200):
        time.sleep(0.1)
        now = time.monotonic()
        naive.append(abs((now - last) * 1e3 - 100.0))
        last = now
    naive.sort()
    report(f"10 Hz polling, p99 |spacing - 100 ms| ({len(t)} readings)", p99, "ms", "< 2 ms", p99 < 2.0,
           f"naive sleep(0.1) loop without I/O: p99 {naive[int(0.99 * (len(naive) - 1))]:.3f} ms")

print(f"{sum(results)} passed, {len(results) - sum(results)} failed")
sys.exit(0 if all(results) else 1)
