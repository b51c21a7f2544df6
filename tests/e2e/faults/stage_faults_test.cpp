// Fault matrix, the stage's line (issue 7 item 3; docs/reliability.md "Fault table"): the T95
// simulator's fault switches under a real `glasslab run --sim`. Each case: the run rides the fault
// through, the driver's recovery and the gap are recorded, and every reply the simulator sent is a
// stored reading or inside a recorded gap (bench/soak/accounting.py on the simulator's reply log),
// with the stage left stopped. A fault the run cannot ride through (a line that stays down or
// silent past the watchdog, an open-circuit sensor) is an interlock: tests/e2e/safety.
#include <doctest/doctest.h>

#include "tests/e2e/faults/fault_run.hpp"

using namespace glasslab::test;

namespace {

// Cool, hold (ends near t = 110 s), heat 280 -> 340 K at 10 K/min (until about 470 s), cool.
const std::string kProfile = std::string(GLASSLAB_SOURCE_DIR) + "/tests/e2e/run/fixtures/short_profile.toml";
constexpr double kSpeed = 100;

/// What every case of the stage's line checks: a successful run, its readings in order and
/// unduplicated, and the accounting of every reply.
nlohmann::json ridden_through(const FaultRun& r) {
  INFO("stderr: " << r.process.err);
  REQUIRE_FALSE(r.process.timed_out);
  REQUIRE(r.process.exit_code == 0);
  Db db(r.db_path);
  CHECK(db.scalar(fmt::format("SELECT exit_status FROM runs WHERE id = {}", r.run_id)) == "success");
  CHECK(db.scalar(fmt::format("SELECT count(*) FROM (SELECT t_mono_ns - lag(t_mono_ns) OVER (ORDER BY rowid) AS d "
                              "FROM stage_readings WHERE run_id = {}) WHERE d <= 0",
                              r.run_id)) == "0");
  CHECK(std::stod(db.scalar(fmt::format("SELECT max(T_K) FROM stage_readings WHERE run_id = {}", r.run_id))) > 339.4);
  return check_stage_accounted(r);
}

}  // namespace

TEST_CASE("fault matrix: serial line drop and return: the run carries on, the gap is recorded, every reply stored or in it") {
  TempDir tmp;
  const auto r = run_with_faults(tmp, kProfile, kSpeed, {"--stage-sim-arg=--fault=drop:8@200"});
  const auto s = ridden_through(r);
  Db db(r.db_path);
  CHECK(count_of(db, r.run_id, "source = 'linkam' AND kind = 'reconnected'") >= 1);
  CHECK(count_of(db, r.run_id, "kind = 'gap'") >= 1);
  CHECK(s.at("faults") == 1);  // the simulator's own record of the drop
}

TEST_CASE("fault matrix: garbage bytes: resynchronised, recorded as a gap, no garbled reply taken for a reading") {
  TempDir tmp;
  const auto r = run_with_faults(tmp, kProfile, kSpeed, {"--stage-sim-arg=--fault=garbage:5@200"});
  const auto s = ridden_through(r);
  Db db(r.db_path);
  CHECK(count_of(db, r.run_id, "source = 'linkam' AND kind = 'comms_fault'") >= 1);
  CHECK(count_of(db, r.run_id, "source = 'linkam' AND kind IN ('resynchronised', 'reconnected')") >= 1);
  CHECK(count_of(db, r.run_id, "kind = 'gap'") >= 1);
  CHECK(s.at("garbled") == 5);
}

TEST_CASE("fault matrix: late replies: slow ones are readings, those past the timeout are recorded faults and gaps") {
  TempDir tmp;
  // 300 ms (wall) late: under the driver's 500 ms reply timeout, so every reply is a reading and
  // nothing is lost; then 900 ms: replies time out, the driver resynchronises, and a stale reply
  // may stand in for a fresh one (docs/reliability.md: on a hold, where staleness does not show as
  // a jump; x100 makes 900 ms of wall time 90 s of experiment time).
  const auto r = run_with_faults(tmp, kFaultFixtures + "hold_at_ambient.toml", kSpeed,
                                 {"--stage-sim-arg=--fault=late:300@30", "--stage-sim-arg=--fault=late:900@130",
                                  "--stage-sim-arg=--fault=late:0@230"});
  INFO("stderr: " << r.process.err);
  REQUIRE_FALSE(r.process.timed_out);
  REQUIRE(r.process.exit_code == 0);
  const auto s = check_stage_accounted(r);
  CHECK(s.at("faults") == 3);
  Db db(r.db_path);
  CHECK(count_of(db, r.run_id, "source = 'linkam' AND kind = 'comms_fault'") >= 1);
  CHECK(count_of(db, r.run_id, "kind = 'gap'") >= 1);
  // While replies were merely slow (t = 30..130 s, 1 s of wall time) readings kept coming, without a gap.
  const std::string start = fmt::format("(SELECT start_mono_ns FROM runs WHERE id = {})", r.run_id);
  CHECK(std::stoi(db.scalar(fmt::format("SELECT count(*) FROM stage_readings WHERE run_id = {} AND t_mono_ns > {} + "
                                        "40e9 AND t_mono_ns < {} + 120e9", r.run_id, start, start))) >= 2);
  CHECK(db.scalar(fmt::format("SELECT count(*) FROM events WHERE run_id = {} AND kind = 'gap' AND t_mono_ns > {} + "
                              "40e9 AND t_mono_ns < {} + 125e9", r.run_id, start, start)) == "0");
}

TEST_CASE("fault matrix: silence shorter than the watchdog: ridden through, the silent interval is one recorded gap") {
  TempDir tmp;
  // 150 experiment s = 1.5 s of wall time at x100, under the default watchdog_s of 10 (wall).
  const auto r = run_with_faults(tmp, kProfile, kSpeed, {"--stage-sim-arg=--fault=silent:150@200"});
  ridden_through(r);
  Db db(r.db_path);
  CHECK(count_of(db, r.run_id, "kind = 'interlock'") == 0);
  const auto gaps = db.rows(fmt::format("SELECT message FROM events WHERE run_id = {} AND kind = 'gap'", r.run_id));
  REQUIRE(gaps.size() >= 1);
  // No reading inside the silence: the longest spacing covers it.
  const double longest_s = std::stod(db.scalar(fmt::format(
      "SELECT max(d) / 1e9 FROM (SELECT t_mono_ns - lag(t_mono_ns) OVER (ORDER BY rowid) AS d FROM stage_readings "
      "WHERE run_id = {})", r.run_id)));
  CHECK(longest_s >= 140.0);
}
