"""What the simulators emitted against what glasslab stored (issue 7, item 5; docs/reliability.md).

Each simulator process writes its own log (the T95: `glasslab sim linkam --reply-log`; the DHR-3:
`glasslab sim rheometer --event-log`). They share no code with drivers/, so these logs are the
instruments' own view. One glasslab process (a `run` or a `resume`) is one *segment*: its own
simulators, its own logs, a stretch of one run's records.

Stage: every T reply the T95 computed is a reading it emitted. It is accounted for when it is
  - stored: the stored readings of the segment are, in order, a subsequence of the replies it sent
    (same SB1, EB1, PB1 and temperature bytes; sent no later than the reading's stamp plus one poll
    period), or
  - in a recorded gap: it falls between two stored readings that an `engine/gap` event separates
    (the event is stamped with the reading that ends the gap), or
  - part of the connection's handshake (before the segment's first reading; the `connected`
    event) or of its exit (after the last reading: the safe-state handshake, replies in flight
    when the process ended; the `engine/safe_state` event).
Anything else is *lost unaccounted*. Identical consecutive readings (a hold at 0.1 K resolution)
cannot be told apart by content, so the check asks whether *some* pairing explains every reply:
it simulates all pairings at once (a small set of states), never a greedy guess.

Rheometer: every point the DHR-3 measured (run number, index) is stored under the sweep that ran
it, or missing only after the last stored index of a sweep that a `sweep_failed` or
`sweep_aborted` event closes (the instrument stopped or the connection did not come back).

Run: python3 accounting.py --db DB --segments segments.json   (see soak.py for the file)
"""
from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from dataclasses import dataclass, field

CELSIUS_OFFSET_K = 273.15
MAX_PAIRINGS = 256  # states kept while pairing replies with readings; identical holds need a few


@dataclass
class T95Log:
    start_ns: int = 0
    exit_ns: int = 0
    exit_state: str = ""
    replies: list = field(default_factory=list)  # (t_ns, key or None, fate)
    faults: list = field(default_factory=list)   # (t_ns, command)


def reply_key(hex_bytes: str):
    """(SB1, EB1 & 0x7F, pump speed, automatic, temperature tenths of degC) of a T reply."""
    raw = bytes.fromhex(hex_bytes)
    if len(raw) < 10:
        return None
    tenths = int(raw[6:10].decode("ascii"), 16)
    if tenths >= 0x8000:
        tenths -= 0x10000
    pb1 = raw[2]
    return (raw[0], raw[1] & 0x7F, pb1 & 0x3F, bool(pb1 & 0x40), tenths)


def reading_key(row):
    status_code, error_bits, pump_speed, pump_automatic, T_K = row
    return (status_code, error_bits, pump_speed, bool(pump_automatic), round((T_K - CELSIUS_OFFSET_K) * 10))


def load_t95_log(path: str) -> T95Log:
    log = T95Log()
    with open(path) as f:
        next(f)
        for line in f:
            parts = line.rstrip("\n").split(",")
            if len(parts) < 4:
                continue  # a line cut by a crash
            t_ns, kind, data, fate = int(parts[0]), parts[1], parts[2], parts[3]
            if kind == "start":
                log.start_ns = t_ns
            elif kind == "reply":
                log.replies.append((t_ns, reply_key(data) if fate == "sent" else None, fate))
            elif kind == "fault":
                log.faults.append((t_ns, data))
            elif kind == "exit":
                log.exit_ns, log.exit_state = t_ns, data
    log.replies.sort(key=lambda r: r[0])  # command order = the line's order (FIFO)
    return log


def account_stage_segment(db: sqlite3.Connection, run_id: int, log: T95Log, period_ns: int, speed: float,
                          until_ns: int | None = None) -> dict:
    """Pairs one segment's T replies with its stored readings; returns the counts. `until_ns`: where
    the next segment of the same run begins (a resumed run's clock goes on 1 ms after its last
    record, while this segment's simulator lived on through the exit path)."""
    end_ns = log.exit_ns or (log.replies[-1][0] if log.replies else log.start_ns)
    if until_ns is not None:
        end_ns = min(end_ns, until_ns - 1)
    rows = db.execute(
        "SELECT t_mono_ns, status_code, error_bits, pump_speed, pump_automatic, T_K FROM stage_readings "
        "WHERE run_id = ? AND t_mono_ns >= ? AND t_mono_ns <= ? ORDER BY rowid",
        (run_id, log.start_ns, end_ns)).fetchall()
    gap_ends = {r[0] for r in db.execute(
        "SELECT t_mono_ns FROM events WHERE run_id = ? AND kind = 'gap' AND t_mono_ns >= ? AND t_mono_ns <= ?",
        (run_id, log.start_ns, end_ns))}
    readings = [(r[0], reading_key(r[1:])) for r in rows]
    m = len(readings)
    # A reading is stamped when its T left (after a recovery: when the reply came); the reply is
    # computed when the T arrives. Under load or a slow line the two differ by the wall time of a
    # round trip, times the speed: a bound of 5 wall seconds only keeps absurd pairings out.
    slack_ns = period_ns + int(5e9 * speed)
    # free[j]: a reply may go unstored between readings j-1 and j.
    free = [True] + [readings[j][0] in gap_ends for j in range(1, m)] + [True]

    counts = {"emitted": len(log.replies), "stored": m, "in_gaps": 0, "handshake": 0, "exit": 0,
              "unaccounted": 0, "garbled": 0, "lost_on_line": 0}
    # Every pairing at once: j (readings 0..j-1 paired so far) -> where its unstored replies sat
    # (handshake before the first reading, in gaps, exit after the last).
    states = {0: (0, 0, 0)}
    for t_ns, key, fate in log.replies:
        if fate != "sent":
            counts["garbled" if fate == "garbled" else "lost_on_line"] += 1
        nxt = {}
        for j, (handshake, in_gaps, exit_) in states.items():
            if key is not None and j < m and readings[j][1] == key and abs(t_ns - readings[j][0]) <= slack_ns:
                nxt.setdefault(j + 1, (handshake, in_gaps, exit_))
            if free[j]:
                where = (handshake + 1, in_gaps, exit_) if j == 0 else \
                    (handshake, in_gaps, exit_ + 1) if j == m else (handshake, in_gaps + 1, exit_)
                nxt.setdefault(j, where)
        if not nxt:  # no pairing explains this reply: lost without a recorded gap
            counts["unaccounted"] += 1
            counts.setdefault("unaccounted_at_ns", []).append(t_ns)
            continue
        if len(nxt) > MAX_PAIRINGS:
            nxt = dict(sorted(nxt.items())[-MAX_PAIRINGS:])
        states = nxt
    best = max(states)
    counts["stored_unpaired"] = m - best  # stored readings the stage never sent: must be 0
    counts["handshake"], counts["in_gaps"], counts["exit"] = states[best]
    counts["gaps"] = len(gap_ends)
    return counts


def account_dma_segment(db: sqlite3.Connection, run_id: int, log_path: str) -> dict:
    """Points the DHR-3 measured in one segment against the dma_points stored for their sweeps."""
    runs = {}  # sim run number -> {"start": t, "points": set, "end": [...], "aborted": bool}
    exit_state, faults = "", []
    with open(log_path) as f:
        next(f)
        for line in f:
            parts = line.rstrip("\n").split(",")
            if len(parts) < 5:
                continue
            t_ns, event, run, index, detail = int(parts[0]), parts[1], int(parts[2]), int(parts[3]), parts[4]
            r = runs.setdefault(run, {"start": None, "points": set(), "ends": [], "abort_after_end": False})
            if event == "start":
                r["start"] = t_ns
            elif event == "point":
                r["points"].add(index)
            elif event in ("done", "fault", "aborted"):
                r["ends"].append(event)
            elif event == "abort" and r["start"] is not None and (r["ends"] or detail == "RUNNING"):
                r["abort_after_end"] = True  # an ABORT that found the run ended, or that ended it
            elif event == "fault_switch":
                faults.append((t_ns, detail))
            elif event == "exit":
                exit_state = detail
    sweeps = db.execute(
        "SELECT t_mono_ns, substr(message, 1, instr(message, ': expected') - 1) FROM events "
        "WHERE run_id = ? AND source = 'rheometer' AND kind = 'sweep_start' ORDER BY t_mono_ns", (run_id,)).fetchall()
    counts = {"emitted": 0, "stored": 0, "after_failure": 0, "unaccounted": 0, "runs": 0, "left_running": 0,
              "not_aborted": 0, "exit_state": exit_state, "faults": faults}
    for number, r in sorted(runs.items()):
        if r["start"] is None:
            continue
        counts["runs"] += 1
        counts["emitted"] += len(r["points"])
        names = [name for t, name in sweeps if t <= r["start"]]
        name = names[-1] if names else ""
        stored = {row[0] for row in db.execute(
            "SELECT instrument_index FROM dma_points WHERE run_id = ? AND sweep = ?", (run_id, name))}
        counts["stored"] += len(stored & r["points"])
        missing = r["points"] - stored
        closed = db.execute(
            "SELECT count(*) FROM events WHERE run_id = ? AND source = 'rheometer' AND kind IN "
            "('sweep_failed', 'sweep_aborted') AND message LIKE ?", (run_id, name + ":%")).fetchone()[0] > 0
        tail = not stored or all(i > max(stored) for i in missing)
        if missing and closed and tail:
            counts["after_failure"] += len(missing)
        else:
            counts["unaccounted"] += len(missing)
        if not r["ends"]:
            counts["left_running"] += 1
        if not r["abort_after_end"]:
            counts["not_aborted"] += 1
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True)
    parser.add_argument("--run", type=int, required=True)
    parser.add_argument("--t95-log", action="append", default=[], help="one per segment")
    parser.add_argument("--rheometer-log", action="append", default=[], help="one per segment")
    args = parser.parse_args()
    db = sqlite3.connect(args.db)
    configuration = json.loads(db.execute("SELECT configuration_json FROM runs WHERE id = ?", (args.run,)).fetchone()[0])
    speed = float(configuration.get("speed", 1.0))
    poll_hz = float(configuration.get("stage", {}).get("poll_hz", 2.0))
    out = {"stage": [], "dma": []}
    for path in args.t95_log:
        log = load_t95_log(path)
        counts = account_stage_segment(db, args.run, log, int(1e9 / poll_hz), speed)
        counts["exit_state"] = log.exit_state
        counts["faults"] = len(log.faults)
        out["stage"].append(counts)
    for path in args.rheometer_log:
        counts = account_dma_segment(db, args.run, path)
        counts["faults"] = len(counts["faults"])
        out["dma"].append(counts)
    json.dump(out, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
