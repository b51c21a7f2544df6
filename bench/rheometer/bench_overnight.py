#!/usr/bin/env python3
"""Issue 4 figures for the overnight DMA queue, each printed beside its peer.

1. schedules/paper/dma_overnight.toml (about 12 h of experiment time) dry-run with
   `glasslab run --sim --speed X`: wall time (target < 180 s); peer: the experiment duration.
2. Peak resident memory of `glasslab run` (os.wait4 ru_maxrss, which also covers the simulator
   it started and reaped; target < 128 MiB); peer: the peak VmRSS of the run process alone,
   sampled every second from /proc/<pid>/status.
3. Memory flat over the night: median VmRSS of the first quarter of the samples vs the last
   quarter (target: last <= first x 1.25 + 4 MiB).
4. Points stored, and how the queue ended (completed / failed sweeps).
5. schedules/paper/dma_gamma.toml runs to success (the paper's γ study) and its γ energy.

Usage: /usr/bin/python3 bench_overnight.py BUILD_DIR [SOURCE_DIR]   (GLASSLAB_BENCH_SPEED, default 400)
"""
import json, os, sqlite3, statistics, subprocess, sys, tempfile, threading, time

build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../build"))
source = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "../.."))
glasslab = os.path.join(build, "app", "glasslab")
speed = float(os.environ.get("GLASSLAB_BENCH_SPEED", "400"))
results = []


def vm_rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def run_sampled(args):
    """Runs a command, sampling its VmRSS every second; returns (code, wall s, ru_maxrss KiB, samples KiB, stdout)."""
    start = time.monotonic()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    samples, done = [], threading.Event()

    def sampler():
        while not done.wait(1.0):
            rss = vm_rss_kib(proc.pid)
            if rss is not None:
                samples.append(rss)

    thread = threading.Thread(target=sampler, daemon=True)
    thread.start()
    out = proc.stdout.read()
    done.set()
    _, status, usage = os.wait4(proc.pid, 0)
    thread.join()
    return os.waitstatus_to_exitcode(status), time.monotonic() - start, usage.ru_maxrss, samples, out


def report(name, value, unit, target, ok, peer):
    results.append(ok)
    print(f"{name:<52} {value:>10.2f} {unit:<6} target {target:<18} {'PASS' if ok else 'FAIL'}   peer: {peer}")


def run_row(db, run_id):
    con = sqlite3.connect(db)
    row = con.execute("SELECT start_mono_ns, stop_mono_ns, exit_status, exit_reason FROM runs WHERE id=?", (run_id,)).fetchone()
    points = con.execute("SELECT count(*) FROM dma_points WHERE run_id=?", (run_id,)).fetchone()[0]
    summary = con.execute("SELECT json FROM analysis_results WHERE run_id=? AND kind='dma_queue_summary'", (run_id,)).fetchone()
    fits = con.execute("SELECT name, json FROM analysis_results WHERE run_id=? AND kind='dma_fit' ORDER BY id", (run_id,)).fetchall()
    con.close()
    return row, points, json.loads(summary[0]) if summary else {}, [(n, json.loads(j)) for n, j in fits]


with tempfile.TemporaryDirectory() as tmp:
    db = os.path.join(tmp, "overnight.sqlite")
    schedule = os.path.join(source, "schedules/paper/dma_overnight.toml")
    code, wall_s, maxrss_kib, samples, out = run_sampled(
        [glasslab, "run", schedule, "--sim", "--speed", str(speed), "--db", db, "--quiet"])
    if not out.strip():
        sys.exit(f"overnight dry run printed no run id (exit code {code})")
    run_id = out.strip().splitlines()[-1]
    (start_ns, stop_ns, status, reason), points, summary, fits = run_row(db, run_id)
    experiment_s = (stop_ns - start_ns) * 1e-9
    print(f"overnight queue at x{speed:g}: exit code {code}, run {run_id} {status}: {reason}")
    report("overnight DMA queue dry run, wall time", wall_s, "s", "< 180 s", wall_s < 180 and code == 0,
           f"experiment duration {experiment_s:.0f} s = {experiment_s / 3600:.2f} h (x{experiment_s / wall_s:.0f})")
    peak_sampled = max(samples) / 1024 if samples else float("nan")
    report("peak RSS of glasslab run (ru_maxrss, incl. simulator)", maxrss_kib / 1024, "MiB", "< 128 MiB",
           maxrss_kib / 1024 < 128, f"sampled VmRSS of the run process: peak {peak_sampled:.1f} MiB over {len(samples)} s")
    if len(samples) >= 8:
        quarter = len(samples) // 4
        first, last = statistics.median(samples[:quarter]) / 1024, statistics.median(samples[-quarter:]) / 1024
        report("RSS last-quarter median (flat over the night)", last, "MiB", "<= first x1.25+4", last <= first * 1.25 + 4,
               f"first-quarter median {first:.1f} MiB")
    else:
        print(f"RSS flatness: only {len(samples)} samples, not judged")
    report("DMA points stored", points, "pts", "> 0, all sweeps", points > 0 and summary.get("failed", 1) == 0,
           f"{summary.get('completed')} sweeps completed, {summary.get('failed')} failed, "
           f"{summary.get('total_points')} points in the queue summary")
    for name, fit in fits:
        energies = ", ".join(f"{r['name']} {r['energy_eV']:.3f} eV" for r in fit.get("relaxations", []) if r.get("energy_eV") is not None)
        print(f"  fit at sweep end: {name}: {fit.get('status')} ({energies or fit.get('reason')})")

    db2 = os.path.join(tmp, "gamma.sqlite")
    gamma = os.path.join(source, "schedules/paper/dma_gamma.toml")
    code, wall_s, maxrss_kib, _, out = run_sampled([glasslab, "run", gamma, "--sim", "--speed", str(speed), "--db", db2, "--quiet"])
    run_id = out.strip().splitlines()[-1] if out.strip() else "?"
    (start_ns, stop_ns, status, reason), points, summary, fits = run_row(db2, run_id)
    gamma_eV = [r["energy_eV"] for _, f in fits for r in f.get("relaxations", []) if r["name"] == "gamma" and r.get("energy_eV") is not None]
    report("dma_gamma.toml dry run, wall time", wall_s, "s", "exit 0", code == 0 and status == "success",
           f"{(stop_ns - start_ns) * 1e-9:.0f} s of experiment, {points} points, "
           f"E_gamma {gamma_eV[0] if gamma_eV else float('nan'):.3f} eV (paper 0.28 eV)")

sys.exit(0 if all(results) else 1)
