#!/usr/bin/env python3
"""A simulated night of abuse (issue 7, item 5; docs/reliability.md "The simulated night").

Runs a night's queue on the simulated instruments at high speed, back to back, with faults
injected at random (seeded: the seed is printed and --seed repeats the plan):
  - stage items: a long schedule of holds (checkpoints) and ramps on the simulated T95, with the
    T95's fault switches; a fault that ends the run (an interlock, the watchdog) is followed by
    `glasslab resume` where the schedule allows it (not inside a ramp), else the next item starts;
  - DMA items: the overnight queue (schedules/paper/dma_overnight.toml; a two-sweep queue with
    --short) with the DHR-3's fault switches at random point indices of random sweeps.
It repeats the queue until --hours of experiment time have passed and at least --min-faults
faults fired, then proves, from the simulators' own logs (bench/soak/accounting.py):
  - every reading the simulators emitted is stored or accounted for as a recorded gap,
  - no instrument was left unsafe (the T95 stopped or holding, the DHR-3 aborted and not running,
    at the end of every process, after every fatal fault too),
  - the database passes PRAGMA integrity_check,
  - glasslab's resident memory stayed flat: VmRSS from /proc every 0.1 s of wall time; per
    process, after its warm-up (the first 10 % of its wall time, at least 2 s; for a DMA queue at
    least until its first sweep's fit has run: code is paged in when it first runs), growth = median of
    the last quarter of the samples over the median of the first quarter, minus 1; the figure is
    the largest over the processes with at least 40 samples (the growth over all samples is
    printed beside it).

  python3 bench/soak/soak.py --glasslab build/app/glasslab                  # the 24 h night
  python3 bench/soak/soak.py --glasslab build/app/glasslab --short          # CI: ~2 h, ~20 faults
Exit status 0 only when every figure meets its target.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import accounting  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
SAFE_T95_STATES = {"stopped", "holding_current"}

# Stage faults (experiment seconds at --speed; the T95 simulator's switches, docs/simulators.md).
# The watchdog (1.5 s of wall time in the soak's schedule) separates the drops and silences the
# run rides through from those that end it.
STAGE_FAULTS = [  # (kind, weight, fatal)
    ("drop", 0.22, False), ("garbage", 0.22, False), ("late", 0.16, False), ("silent", 0.16, False),
    ("drop_long", 0.05, True), ("silent_long", 0.05, True), ("open_circuit", 0.05, True),
    ("runaway", 0.05, True), ("overshoot", 0.04, False),  # overshoot trips only near max_K (the hot hold)
]
# An instrument error or a lost sample ends its sweep (the queue goes on): rarer than a drop or a stall.
DMA_FAULTS = [("drop-at", 0.5), ("stall-at", 0.4), ("error-at", 0.06), ("lose-sample-at", 0.04)]


def stage_schedule(cycles: int, hold_s: int) -> str:
    """Holds (checkpoints) and ramps; the envelope's max_K just above the hot hold (overshoot trips there)."""
    text = ['# The simulated night\'s stage item (bench/soak/soak.py), generated.',
            '[schedule]', f'title = "soak: {cycles} cycles of holds and ramps"', 'operator = "soak"',
            '[sample]', 'name = "soak disc"', 'state = "as_cast"',
            '[instruments.stage]', 'poll_Hz = 2', 'settle_s = 10', 'safe_state = "stop"',
            'watchdog_s = 1.5', '[instruments.stage.envelope]', 'max_K = 650']
    for i in range(cycles):
        text += ['[[step]]', 'kind = "hold"', f'label = "cold hold {i + 1}"', 'temperature_K = 293.15',
                 f'duration_s = {hold_s}', 'checkpoint = true',
                 '[[step]]', 'kind = "ramp"', f'label = "heat {i + 1}"', 'to_K = 640.0', 'rate_K_per_min = 10',
                 '[[step]]', 'kind = "hold"', f'label = "hot hold {i + 1}"', 'temperature_K = 640.0',
                 f'duration_s = {hold_s}', 'checkpoint = true',
                 '[[step]]', 'kind = "ramp"', f'label = "cool {i + 1}"', 'to_K = 293.15', 'rate_K_per_min = 20']
    return "\n".join(text) + "\n"


SHORT_DMA = """# The short soak's DMA item (bench/soak/soak.py): two sweeps, about 55 minutes with the oven's approaches.
[schedule]
title = "soak: two short DMA sweeps"
operator = "soak"
[sample]
name = "soak bar"
state = "as_cast"
[instruments.rheometer]
connection = "tcp:127.0.0.1:5025"
[[step]]
kind = "dma_ramp"
label = "sweep A"
from_K = 200
to_K = 400
rate_K_per_min = 10
frequencies_Hz = [1, 3, 10]
mode = "bending"
strain_pct = 0.02
checkpoint = true
[[step]]
kind = "dma_ramp"
label = "sweep B"
from_K = 200
to_K = 400
rate_K_per_min = 10
frequencies_Hz = [1, 3, 10]
mode = "torsion"
strain_pct = 0.01
sample_label = "bar B"
checkpoint = true
"""


def pick(rng: random.Random, table):
    total = sum(row[1] for row in table)
    x = rng.uniform(0, total)
    for row in table:
        x -= row[1]
        if x <= 0:
            return row
    return table[-1]


def stage_fault_args(rng: random.Random, duration_s: float, per_hour: float, speed: float) -> list[str]:
    """--fault specs at Poisson times over the segment's planned experiment time. Outages are drawn
    in wall seconds (the driver's timeouts, its back-off and the watchdog run on wall time) and
    given to the simulator in experiment seconds."""
    specs, t = [], 0.0
    wall = lambda lo, hi: rng.uniform(lo, hi) * speed  # noqa: E731
    while True:
        t += rng.expovariate(per_hour / 3600.0)
        if t > duration_s:
            break
        kind, _, fatal = pick(rng, STAGE_FAULTS)
        at = f"@{t:.0f}"
        if kind == "drop":
            specs.append(f"drop:{wall(0.02, 0.6):.0f}{at}")
        elif kind == "drop_long":  # past watchdog_s = 1.5 s of wall time
            specs.append(f"drop:{wall(2.5, 3.5):.0f}{at}")
        elif kind == "garbage":
            specs.append(f"garbage:{rng.randint(1, 6)}{at}")
        elif kind == "late":  # a slow line, under the driver's reply timeout
            specs += [f"late:{rng.uniform(50, 400):.0f}{at}", f"late:0@{t + rng.uniform(60, 900):.0f}"]
        elif kind == "silent":
            specs.append(f"silent:{wall(0.03, 0.6):.0f}{at}")
        elif kind == "silent_long":
            specs.append(f"silent:{wall(2.5, 3.5):.0f}{at}")
        elif kind == "open_circuit":
            specs += [f"open_circuit:on{at}", f"open_circuit:off@{t + rng.uniform(60, 600):.0f}"]
        elif kind == "runaway":
            specs.append(f"runaway:on{at}")
        elif kind == "overshoot":
            specs += [f"overshoot:{rng.uniform(20, 30):.0f}{at}", f"overshoot:0@{t + rng.uniform(300, 1200):.0f}"]
        # A fault that may end the run is the plan's last: the next process (a resume) gets a plan
        # of its own. (Faults still firing while the exit path waits for the stage would be a pile-up
        # of wall-time seconds, hours of experiment time at x1000, no longer one fault at a time.)
        if fatal:
            break
    return [f"--stage-sim-arg=--fault={s}" for s in specs]


def dma_fault_args(rng: random.Random, sweeps: int, per_sweep: float) -> list[str]:
    specs = []
    for run in range(1, sweeps + 1):
        for _ in range(rng.randint(max(0, int(per_sweep) - 2), int(per_sweep) + 2)):
            kind = pick(rng, DMA_FAULTS)[0]
            index = rng.randint(5, 500)
            if kind == "stall-at":
                specs.append(f"stall-at {index}@{run} {rng.uniform(0.1, 0.8):.2f}")
            else:
                specs.append(f"{kind} {index}@{run}")
    return [f"--rheometer-sim-arg=--fault={s}" for s in specs]


class RssSampler(threading.Thread):
    """VmRSS of one process every `interval_s` of wall time, from /proc/PID/status, with its parts:
    RssAnon (the heap: what a leak grows), the rest is mostly code (libm, glasslab) paged in the
    first time it runs, e.g. at the first sweep's fit; docs/reliability.md, "Memory, looked at closer")."""

    def __init__(self, pid: int, interval_s: float = 0.1):
        super().__init__(daemon=True)
        self.pid, self.interval_s, self.samples, self.stopped = pid, interval_s, [], threading.Event()
        self.started_at = time.monotonic()

    def run(self):
        while not self.stopped.wait(self.interval_s):
            try:
                with open(f"/proc/{self.pid}/status") as f:
                    fields = {}
                    for line in f:
                        key, _, value = line.partition(":")
                        if key in ("VmRSS", "RssAnon"):
                            fields[key] = int(value.split()[0])
                if "VmRSS" in fields:
                    self.samples.append((time.monotonic() - self.started_at, fields["VmRSS"], fields.get("RssAnon", 0)))
            except (FileNotFoundError, ProcessLookupError):
                return


class Night:
    def __init__(self, args):
        self.args, self.rng = args, random.Random(args.seed)
        self.work = Path(args.work)
        self.db = str(self.work / "night.sqlite")
        self.segments = []  # one per glasslab process
        self.sim_hours = 0.0

    def run_process(self, argv, label):
        seg = len(self.segments)
        t95_log = str(self.work / f"seg{seg:03d}_t95.csv")
        rheo_log = str(self.work / f"seg{seg:03d}_rheometer.csv")
        argv = argv + [f"--stage-sim-arg=--reply-log={t95_log}", f"--rheometer-sim-arg=--event-log={rheo_log}"]
        started = time.monotonic()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        sampler = RssSampler(proc.pid)
        sampler.start()
        out, err = proc.communicate(timeout=3600)
        sampler.stopped.set()
        sampler.join()
        lines = [line for line in out.splitlines() if line.strip()]
        run_id = int(lines[-1]) if lines and lines[-1].strip().isdigit() else None
        segment = {"label": label, "argv": argv, "exit": proc.returncode, "run": run_id, "t95_log": t95_log,
                   "rheometer_log": rheo_log, "wall_s": time.monotonic() - started, "rss": sampler.samples,
                   "stderr_tail": err[-600:]}
        self.segments.append(segment)
        for log, kind in ((t95_log, "t95"), (rheo_log, "rheometer")):
            if os.path.exists(log):
                first, last = experiment_span_ns(log)
                if first is not None:
                    self.sim_hours += (last - first) / 3.6e12
                    segment[f"{kind}_hours"] = (last - first) / 3.6e12
        if not self.args.quiet:
            print(f"  [{seg:3d}] {label:<28} run {run_id} exit {proc.returncode}  {segment['wall_s']:6.1f} s wall, "
                  f"{self.sim_hours:6.2f} simulated h so far", flush=True)
        return segment

    def common(self):
        return ["--sim", "--speed", str(self.args.speed), "--db", self.db, "--quiet"]

    def stage_item(self, cycles: int, hold_s: int):
        path = self.work / f"stage_{cycles}.toml"
        path.write_text(stage_schedule(cycles, hold_s))
        planned_s = cycles * (2 * hold_s + 347 / 10 * 60 + 347 / 20 * 60 + 120)
        seg = self.run_process([self.args.glasslab, "run", str(path)] + self.common() +
                               stage_fault_args(self.rng, planned_s, self.args.stage_faults_per_hour, self.args.speed),
                               "stage run")
        while seg["exit"] == 1 and seg["run"] is not None:  # a fault ended it: resume where allowed
            left_s = max(600.0, planned_s - self.run_span_s(seg["run"]))
            seg = self.run_process([self.args.glasslab, "resume", str(seg["run"]), "--db", self.db, "--sim", "--quiet",
                                    "--speed", str(self.args.speed)] +
                                   stage_fault_args(self.rng, left_s, self.args.stage_faults_per_hour,
                                                    self.args.speed),
                                   f"stage resume of run {seg['run']}")
            if seg["exit"] == 2:  # refused: it stopped inside a ramp; the queue goes on
                seg["refused"] = True
                break
            if seg["exit"] == 1 and seg.get("t95_hours", 0) * 3600 < 120:
                # Tripped again at once (a runaway left the stage hot; the resumed simulator starts at
                # the last reading): a scientist lets it cool first. The item ends, the queue goes on.
                seg["tripped_at_once"] = True
                break

    def run_span_s(self, run_id):
        with sqlite3.connect(self.db) as db:
            first, last = db.execute("SELECT min(t_mono_ns), max(t_mono_ns) FROM stage_readings WHERE run_id = ?",
                                     (run_id,)).fetchone()
        return ((last or 0) - (first or 0)) * 1e-9

    def dma_item(self):
        if self.args.short:
            path = self.work / "dma_short.toml"
            path.write_text(SHORT_DMA)
            sweeps = 2
        else:
            path, sweeps = REPO / "schedules/paper/dma_overnight.toml", 6
        self.run_process([self.args.glasslab, "run", str(path)] + self.common() +
                         dma_fault_args(self.rng, sweeps, self.args.dma_faults_per_sweep), "DMA queue")

    def run(self):
        item = 0
        # At least one item of each kind; then until the hours and the faults are reached.
        while item < 2 or self.sim_hours < self.args.hours or self.faults_fired()["total"] < self.args.min_faults:
            if item > self.args.max_items:
                break
            if item % 2 == 0:
                self.stage_item(1, 600) if self.args.short else self.stage_item(6, 1800)
            else:
                self.dma_item()
            item += 1

    def faults_fired(self):
        kinds = {}
        for seg in self.segments:
            for log, parse in ((seg["t95_log"], t95_fault_kinds), (seg["rheometer_log"], rheometer_fault_kinds)):
                if os.path.exists(log):
                    for kind in parse(log):
                        kinds[kind] = kinds.get(kind, 0) + 1
        kinds["total"] = sum(kinds.values())
        return kinds


def experiment_span_ns(log):
    first = last = None
    with open(log) as f:
        next(f, None)
        for line in f:
            head = line.split(",", 1)[0]
            if head.isdigit():
                t = int(head)
                first = t if first is None else min(first, t)
                last = t if last is None else max(last, t)
    return first, last


def t95_fault_kinds(log):
    """Fault episodes the T95 simulator applied (switching one off is not a fault)."""
    for t_ns, command in accounting.load_t95_log(log).faults:
        verb, _, value = command.partition(" ")
        if value in ("0", "off"):
            continue
        yield f"t95 {verb}"


def rheometer_fault_kinds(log):
    with open(log) as f:
        next(f, None)
        for line in f:
            parts = line.rstrip("\n").split(",")
            if len(parts) >= 5 and parts[1] == "fault_switch":
                yield f"rheometer {parts[4]}"


def first_fit_wall_s(db: sqlite3.Connection, run_id, speed: float):
    """Wall seconds from a DMA queue's start to its first sweep's end, when the sweep's fit runs for
    the first time (None for a run without one). The queue's process began the run, so the run's
    start is the process's clock origin."""
    if run_id is None:
        return None
    row = db.execute("SELECT min(e.t_mono_ns) - r.start_mono_ns FROM events e JOIN runs r ON r.id = e.run_id "
                     "WHERE e.run_id = ? AND e.source = 'rheometer' AND e.kind = 'sweep_end'", (run_id,)).fetchone()
    return row[0] / 1e9 / speed if row and row[0] is not None else None


def rss_growth(segments, db_path, speed, warmup_fraction=0.1, warmup_min_s=2.0, fit_margin_s=1.0, min_samples=40):
    """Per process: the samples after its warm-up, their first and last quarter's medians. The
    warm-up is start-up (the first 10 % of its wall time, at least 2 s) and, for a DMA queue, every
    code path run once: up to its first sweep's end and fit (+1 s). Code is paged in the first time
    it runs (libm and glasslab, some 400 kB: docs/reliability.md); that is not growth over the night.
    The raw figure over all samples is kept beside it, and the heap's growth (RssAnon)."""
    db = sqlite3.connect(db_path)
    rows = []
    for i, seg in enumerate(segments):
        if not seg["rss"]:
            continue
        warmup_s = max(warmup_min_s, warmup_fraction * seg["rss"][-1][0])
        if seg["label"] == "DMA queue":
            fit_s = first_fit_wall_s(db, seg["run"], speed)
            if fit_s is not None:
                warmup_s = max(warmup_s, fit_s + fit_margin_s)
        samples = [(kb, anon_kB) for t, kb, anon_kB in seg["rss"] if t >= warmup_s]
        if len(samples) < min_samples:
            continue
        q = len(samples) // 4
        first, last = (statistics.median(kb for kb, _ in part) for part in (samples[:q], samples[-q:]))
        anon_first, anon_last = (statistics.median(a for _, a in part) for part in (samples[:q], samples[-q:]))
        raw = [kb for t, kb, _ in seg["rss"] if kb > 0]
        rq = len(raw) // 4
        rows.append({"segment": i, "label": seg["label"], "samples": len(samples), "warmup_s": round(warmup_s, 1),
                     "first_quarter_kB": first, "last_quarter_kB": last, "growth": last / first - 1,
                     "anon_first_quarter_kB": anon_first, "anon_last_quarter_kB": anon_last,
                     "anon_growth_kB": anon_last - anon_first,
                     "raw_growth": statistics.median(raw[-rq:]) / statistics.median(raw[:rq]) - 1})
    return rows


def report(night: Night, started: float) -> int:
    db = sqlite3.connect(night.db)
    integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    stage = {"emitted": 0, "stored": 0, "in_gaps": 0, "handshake": 0, "exit": 0, "unaccounted": 0,
             "stored_unpaired": 0, "garbled": 0, "lost_on_line": 0, "gaps": 0}
    dma = {"emitted": 0, "stored": 0, "after_failure": 0, "unaccounted": 0}
    unsafe, fatal = [], 0
    by_run = {}
    for i, seg in enumerate(night.segments):
        by_run.setdefault(seg["run"], []).append(i)
    for i, seg in enumerate(night.segments):
        if seg["run"] is None:
            continue
        if seg["exit"] == 1:
            fatal += 1
        if os.path.exists(seg["t95_log"]):
            log = accounting.load_t95_log(seg["t95_log"])
            later = [night.segments[j] for j in by_run[seg["run"]] if j > i and os.path.exists(night.segments[j]["t95_log"])]
            until = accounting.load_t95_log(later[0]["t95_log"]).start_ns if later else None
            config = json.loads(db.execute("SELECT configuration_json FROM runs WHERE id = ?", (seg["run"],)).fetchone()[0])
            counts = accounting.account_stage_segment(db, seg["run"], log, int(1e9 / 2.0), float(config["speed"]), until)
            for key in stage:
                stage[key] += counts[key]
            if log.exit_state not in SAFE_T95_STATES:
                unsafe.append(f"segment {i} ({seg['label']}): T95 left {log.exit_state or 'without an exit line'}")
            if counts["unaccounted"]:
                print(f"  segment {i}: {counts['unaccounted']} stage replies unaccounted at "
                      f"{counts.get('unaccounted_at_ns', [])[:5]}", file=sys.stderr)
        if os.path.exists(night.segments[i]["rheometer_log"]):
            counts = accounting.account_dma_segment(db, seg["run"], seg["rheometer_log"])
            for key in dma:
                dma[key] += counts[key]
            if counts["exit_state"] == "RUNNING" or counts["left_running"] or counts["not_aborted"]:
                unsafe.append(f"segment {i} ({seg['label']}): DHR-3 {counts}")
    faults = night.faults_fired()
    rss = rss_growth(night.segments, night.db, night.args.speed)
    worst = max(rss, key=lambda r: r["growth"]) if rss else None
    resumes = sum(1 for s in night.segments if "resume" in s["label"])
    refused = sum(1 for s in night.segments if s.get("refused"))
    figures = {
        "seed": night.args.seed, "speed": night.args.speed, "wall_s": round(time.monotonic() - started, 1),
        "simulated_hours": round(night.sim_hours, 2), "processes": len(night.segments), "fatal_faults": fatal,
        "resumes": resumes, "resumes_refused": refused, "faults": faults, "stage": stage, "dma": dma,
        "unsafe": unsafe, "integrity_check": integrity, "rss": rss,
        "rss_growth_worst": round(worst["growth"], 4) if worst else None,
    }
    unaccounted = stage["unaccounted"] + stage["stored_unpaired"] + dma["unaccounted"]
    print(f"simulated night: seed {night.args.seed}, x{night.args.speed}, {figures['wall_s']} s of wall time")
    print(f"  {night.sim_hours:.2f} simulated hours in {len(night.segments)} glasslab processes "
          f"({fatal} ended by a fatal fault, {resumes} resumes, {refused} refused inside a ramp)")
    print(f"  faults injected: {faults['total']}  " +
          ", ".join(f"{k} {v}" for k, v in sorted(faults.items()) if k != "total"))
    print(f"  stage readings emitted by the T95: {stage['emitted']}: stored {stage['stored']}, in recorded gaps "
          f"{stage['in_gaps']}, connection handshakes {stage['handshake']}, exit paths {stage['exit']}; "
          f"({stage['garbled']} garbled, {stage['lost_on_line']} lost on the line; {stage['gaps']} gap events)")
    print(f"  DMA points measured by the DHR-3: {dma['emitted']}: stored {dma['stored']}, after a recorded sweep "
          f"failure {dma['after_failure']}")
    print(f"  readings lost unaccounted: {unaccounted}   unsafe states: {len(unsafe)}   integrity_check: {integrity}")
    if worst:
        print(f"  RSS growth, first to last quarter (median VmRSS after a warm-up: 10 % of the process, a DMA queue's first fit; per process "
              f"of >= 40 samples, worst of {len(rss)}): {100 * worst['growth']:+.2f} % "
              f"({worst['first_quarter_kB']:.0f} -> {worst['last_quarter_kB']:.0f} kB, {worst['label']}, "
              f"{worst['samples']} samples after {worst['warmup_s']} s; over all its samples "
              f"{100 * worst['raw_growth']:+.2f} %)")
        heap = max(rss, key=lambda r: r["anon_growth_kB"])
        print(f"  of which the heap (RssAnon, a leak's growth), worst process: {heap['anon_growth_kB']:+.0f} kB "
              f"({heap['anon_first_quarter_kB']:.0f} -> {heap['anon_last_quarter_kB']:.0f} kB, {heap['label']}); "
              f"the rest is code paged in the first time it runs")
    for line in unsafe:
        print(f"  UNSAFE: {line}")
    if night.args.json:
        Path(night.args.json).write_text(json.dumps(figures, indent=1, default=str))
    ok = (unaccounted == 0 and not unsafe and integrity == "ok" and night.sim_hours >= night.args.hours
          and faults["total"] >= night.args.min_faults and (worst is None or worst["growth"] < 0.05))
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--glasslab", default=str(REPO / "build/app/glasslab"))
    parser.add_argument("--seed", type=int, default=None, help="default: a random one (printed)")
    parser.add_argument("--hours", type=float, default=None, help="simulated hours (24; --short: 1.5)")
    parser.add_argument("--min-faults", type=int, default=None, help="faults that must fire (200; --short: 20)")
    parser.add_argument("--speed", type=float, default=None,
                        help="default x250 (--short: x1000): 24 h in a few minutes; wall-time protections (reply "
                             "timeout, watchdog) then cover that many times more experiment time than in the lab")
    parser.add_argument("--short", action="store_true", help="the CI variant")
    parser.add_argument("--stage-faults-per-hour", type=float, default=None)
    parser.add_argument("--dma-faults-per-sweep", type=float, default=None)
    parser.add_argument("--max-items", type=int, default=40)
    parser.add_argument("--work", default=None, help="keep the database and logs here (default: a temporary folder)")
    parser.add_argument("--json", default=None, help="write the figures as JSON")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(1, 2**31)
    args.hours = args.hours if args.hours is not None else (1.5 if args.short else 24.0)
    args.speed = args.speed if args.speed is not None else (1000.0 if args.short else 250.0)
    args.min_faults = args.min_faults if args.min_faults is not None else (20 if args.short else 200)
    args.stage_faults_per_hour = args.stage_faults_per_hour or (15.0 if args.short else 9.0)
    args.dma_faults_per_sweep = args.dma_faults_per_sweep or (6.0 if args.short else 8.0)
    print(f"soak seed {args.seed} (repeat with --seed {args.seed})", flush=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="glasslab-soak-") as tmp:
        args.work = args.work or tmp
        Path(args.work).mkdir(parents=True, exist_ok=True)
        night = Night(args)
        night.run()
        return report(night, started)


if __name__ == "__main__":
    sys.exit(main())
