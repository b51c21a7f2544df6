// The stage interlocks and the watchdog end to end: `glasslab run --sim` with the simulated T95's
// fault switches, a real pty and a real SQLite file. The simulator's truth log shows what the stage
// really did, independently of what the engine recorded.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "tests/e2e/faults/fault_run.hpp"
#include "tests/support/process.hpp"
#include "tests/support/sqlite_db.hpp"

using glasslab::test::Db;
using glasslab::test::last_line;
using glasslab::test::run_process;
using glasslab::test::TempDir;

namespace {

const std::string kHold = std::string(GLASSLAB_SOURCE_DIR) + "/tests/e2e/safety/fixtures/interlock_hold.toml";
constexpr double kSpeed = 40;
constexpr double kWatchdog_s = 0.5;  // the fixture's, wall seconds

struct TruthLine {
  double t_s = 0, T_K = 0;
  std::string state;
  long long mono_ns = 0;
};

/// The simulator's truth log: t_s,T_K,setpoint_K,state,clock_mono_ns.
std::vector<TruthLine> read_truth(const std::string& path) {
  std::ifstream in(path);
  std::vector<TruthLine> lines;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::stringstream fields(line);
    std::string t, T, setpoint, state, mono;
    std::getline(fields, t, ',');
    std::getline(fields, T, ',');
    std::getline(fields, setpoint, ',');
    std::getline(fields, state, ',');
    std::getline(fields, mono, ',');
    if (mono.empty()) continue;  // a line cut by the simulator's exit
    lines.push_back({std::stod(t), std::stod(T), state, std::stoll(mono)});
  }
  return lines;
}

struct Outcome {
  glasslab::test::ProcessResult process;
  std::string run_id, db_path, truth_path, reply_log;
};

Outcome run_with_fault(const TempDir& tmp, const std::string& fault) {
  Outcome o;
  o.db_path = tmp.path + "/runs.sqlite";
  o.truth_path = tmp.path + "/truth.csv";
  o.reply_log = tmp.path + "/replies.csv";
  o.process = run_process({GLASSLAB_BINARY, "run", kHold, "--sim", "--speed", fmt::format("{}", kSpeed), "--db",
                           o.db_path, "--quiet", "--stage-sim-arg=--fault=" + fault,
                           "--stage-sim-arg=--truth-log=" + o.truth_path, "--stage-sim-arg=--truth-interval=0.05",
                           "--stage-sim-arg=--reply-log=" + o.reply_log},
                          std::chrono::seconds(60));
  o.run_id = last_line(o.process.out);
  return o;
}

long long scalar_ll(Db& db, const std::string& sql) { return std::stoll(db.scalar(sql)); }

struct Trip {
  long long t_mono_ns = 0;
  std::string message;
};

/// The run failed (exit status 1) with exactly one interlock trip recorded by the safety monitor.
Trip single_trip(const Outcome& o, Db& db) {
  REQUIRE_FALSE(o.process.timed_out);
  CHECK(o.process.exit_code == 1);
  CHECK(db.scalar(fmt::format("SELECT exit_status FROM runs WHERE id = {}", o.run_id)) == "failed");
  const auto trips = db.rows(fmt::format(
      "SELECT t_mono_ns, message FROM events WHERE run_id = {} AND kind = 'interlock' AND source = 'safety'", o.run_id));
  REQUIRE(trips.size() == 1);
  CHECK(db.scalar(fmt::format("SELECT exit_reason FROM runs WHERE id = {}", o.run_id)) == "interlock " + trips[0][1]);
  return {std::stoll(trips[0][0]), trips[0][1]};
}

/// The first line of the truth log after `after_mono_ns` whose state is `state`, or nullptr.
const TruthLine* first_in_state(const std::vector<TruthLine>& truth, long long after_mono_ns, const std::string& state) {
  for (const auto& line : truth)
    if (line.mono_ns > after_mono_ns && line.state == state) return &line;
  return nullptr;
}

}  // namespace

TEST_CASE("watchdog: a stage that goes silent trips within watchdog_s, is recorded, and is stopped once it listens") {
  TempDir tmp;
  // Silent from 30 s (mid-approach) for 40 experiment s = 1 s of wall time at x40.
  const auto o = run_with_fault(tmp, "silent:40@30");
  INFO("stderr: " << o.process.err);
  Db db(o.db_path);
  const Trip trip = single_trip(o, db);
  CHECK(trip.message.find("watchdog on Linkam T95 serial:") == 0);
  CHECK(trip.message.find("limit 0.50 s") != std::string::npos);
  // Tripped within the configured time (wall seconds, so x40 experiment ns), not before it.
  const long long last_reading = scalar_ll(
      db, fmt::format("SELECT max(t_mono_ns) FROM stage_readings WHERE run_id = {} AND t_mono_ns < {}", o.run_id,
                      trip.t_mono_ns));
  const double silent_wall_s = (trip.t_mono_ns - last_reading) * 1e-9 / kSpeed;
  CHECK(silent_wall_s >= kWatchdog_s * 0.9);
  CHECK(silent_wall_s <= kWatchdog_s + 0.5);
  // The silent controller hears nothing: the safe state lands when it listens again, and says so.
  CHECK(db.scalar(fmt::format("SELECT count(*) FROM events WHERE run_id = {} AND kind = 'interlock_safe_state'",
                              o.run_id)) == "1");
  const auto truth = read_truth(o.truth_path);
  REQUIRE(!truth.empty());
  CHECK(truth.back().state == "hold" + std::string("ing_current"));  // the run's safe state: hold (O)
}

TEST_CASE("watchdog: a stage whose every reply is garbled is stopped blind within the configured time") {
  TempDir tmp;
  // From 30 s every reply is garbage (a broken return line): no valid reading, but the controller
  // still executes what it hears. Without a status only E is safe to send blind (O is not
  // idempotent), so the stage stops although the run's safe state is hold.
  const auto o = run_with_fault(tmp, "garbage:1000000@30");
  INFO("stderr: " << o.process.err);
  Db db(o.db_path);
  const Trip trip = single_trip(o, db);
  CHECK(trip.message.find("watchdog on Linkam T95") == 0);
  const long long last_reading = scalar_ll(db, fmt::format("SELECT max(t_mono_ns) FROM stage_readings WHERE run_id = {}", o.run_id));
  CHECK(db.scalar(fmt::format("SELECT count(*) > 0 FROM events WHERE run_id = {} AND source = 'linkam' AND kind = "
                              "'safe_state_blind'", o.run_id)) == "1");
  // Unconfirmed, and the run's record says so.
  CHECK(db.scalar(fmt::format("SELECT count(*) FROM events WHERE run_id = {} AND source = 'engine' AND kind = "
                              "'safe_state' AND message LIKE '%NOT confirmed%'", o.run_id)) == "1");
  // The truth: the stage was heating towards 325 K; it stops after the trip, within the watchdog
  // plus one blind attempt (the rest of the poller's 'T', then three of the safety thread's own).
  const auto truth = read_truth(o.truth_path);
  REQUIRE(!truth.empty());
  const TruthLine* stopped = first_in_state(truth, last_reading, "stopped");
  REQUIRE(stopped);
  CHECK(stopped->mono_ns >= trip.t_mono_ns);
  CHECK((stopped->mono_ns - last_reading) * 1e-9 / kSpeed <= kWatchdog_s + 3.0);
  CHECK(truth.back().state == "stopped");
}

TEST_CASE("over-temperature: an overshooting stage trips at max_K plus the margin and is stopped, not held") {
  TempDir tmp;
  // The loop settles 15 K above its setpoint: holding 325 K means 340 K, above 330 + 5 K.
  const auto o = run_with_fault(tmp, "overshoot:15");
  INFO("stderr: " << o.process.err);
  Db db(o.db_path);
  const Trip trip = single_trip(o, db);
  CHECK(trip.message.find("over_temperature on Linkam T95 serial:") == 0);
  CHECK(trip.message.find("limit 335.00 K") != std::string::npos);
  CHECK(trip.message.find("safe state stop (E)") != std::string::npos);
  // The reading that tripped is stored; nothing much hotter follows.
  CHECK(std::stod(db.scalar(fmt::format("SELECT max(T_K) FROM stage_readings WHERE run_id = {}", o.run_id))) > 335.0);
  const auto truth = read_truth(o.truth_path);
  REQUIRE(!truth.empty());
  double hottest_K = 0;
  for (const auto& line : truth) hottest_K = std::max(hottest_K, line.T_K);
  CHECK(hottest_K < 337.0);
  CHECK(truth.back().state == "stopped");  // stop (E), although the run's safe state is hold
}

TEST_CASE("over-rate: a runaway heater trips the measured-rate interlock and is stopped") {
  TempDir tmp;
  const auto o = run_with_fault(tmp, "runaway:on@20");
  INFO("stderr: " << o.process.err);
  Db db(o.db_path);
  const Trip trip = single_trip(o, db);
  CHECK(trip.message.find("over_rate on Linkam T95") == 0);
  CHECK(trip.message.find("limit 160.00 K/min") != std::string::npos);
  const auto truth = read_truth(o.truth_path);
  REQUIRE(!truth.empty());
  CHECK(first_in_state(truth, trip.t_mono_ns, "stopped"));
  CHECK(truth.back().state == "stopped");
}

TEST_CASE("EB1 open circuit ends the run per the policy: interlock recorded, stage stopped") {
  TempDir tmp;
  const auto o = run_with_fault(tmp, "open_circuit:on@20");
  INFO("stderr: " << o.process.err);
  Db db(o.db_path);
  const Trip trip = single_trip(o, db);
  CHECK(trip.message.find("open_circuit on Linkam T95") == 0);
  CHECK(trip.message.find("EB1 0x82") != std::string::npos);
  // The driver's own record of the EB1 change is there too.
  CHECK(db.scalar(fmt::format("SELECT count(*) FROM events WHERE run_id = {} AND kind = 'stage_error'", o.run_id)) == "1");
  CHECK(read_truth(o.truth_path).back().state == "stopped");
  // Nothing recorded is lost: every reply the T95 sent, the 999.9 degC ones included, is a stored
  // reading or inside a recorded gap (bench/soak/accounting.py on the simulator's reply log).
  glasslab::test::FaultRun run{o.process, o.run_id, o.db_path, o.reply_log, ""};
  glasslab::test::check_stage_accounted(run);
}
