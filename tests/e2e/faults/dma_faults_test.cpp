// Fault matrix, the rheometer (issue 7 item 3; docs/reliability.md "Fault table"): the DHR-3
// simulator's fault switches under a real `glasslab run --sim` of a three-sweep queue. Each case
// checks the instrument's own event log (every point it measured, every ABORT it received) against
// the store with bench/soak/accounting.py.
#include <doctest/doctest.h>

#include "tests/e2e/faults/fault_run.hpp"

using namespace glasslab::test;

namespace {

// Sweep 1 makes 4 points, sweep 2 (a ramp, "second, ramp") about 300, sweep 3 four.
const std::string kQueue = std::string(GLASSLAB_SOURCE_DIR) + "/tests/e2e/dma/fixtures/three_sweeps.toml";
constexpr double kSpeed = 400;

/// Every point the instrument measured is stored or, for a failed sweep, after its last stored
/// point with the failure recorded; every run ended and was followed by an ABORT; nothing left running.
nlohmann::json check_dma_accounted(const FaultRun& r) {
  const auto all = account(r, false, true);
  REQUIRE(all.at("dma").size() == 1);
  const auto& d = all.at("dma")[0];
  INFO("rheometer accounting: " << d.dump());
  CHECK(d.at("unaccounted") == 0);
  CHECK(d.at("runs") == 3);
  CHECK(d.at("left_running") == 0);
  CHECK(d.at("not_aborted") == 0);
  CHECK(d.at("exit_state") != "RUNNING");
  CHECK(d.at("faults") == 1);  // the simulator's own record: the fault fired once
  return d;
}

}  // namespace

TEST_CASE("fault matrix: rheometer connection drop and return: reconnected mid-sweep, no point lost or duplicated") {
  TempDir tmp;
  // Mid-reply at point 10 of the second run (sweep 2): the worst moment for a client.
  const auto r = run_with_faults(tmp, kQueue, kSpeed, {"--rheometer-sim-arg=--fault=drop-at 10@2"});
  INFO("stderr: " << r.process.err);
  REQUIRE_FALSE(r.process.timed_out);
  REQUIRE(r.process.exit_code == 0);
  Db db(r.db_path);
  CHECK(db.scalar(fmt::format("SELECT exit_status FROM runs WHERE id = {}", r.run_id)) == "success");
  CHECK(count_of(db, r.run_id, "source = 'rheometer' AND kind = 'comms_fault'") >= 1);
  CHECK(count_of(db, r.run_id, "kind = 'sweep_end'") == 3);
  const auto d = check_dma_accounted(r);
  CHECK(d.at("stored") == d.at("emitted"));
  CHECK(db.scalar(fmt::format("SELECT count(*) - count(DISTINCT sweep || '/' || instrument_index) FROM dma_points "
                              "WHERE run_id = {}", r.run_id)) == "0");
}

TEST_CASE("fault matrix: rheometer error mid-sweep: that sweep fails with the instrument's code, its points kept, the queue goes on") {
  TempDir tmp;
  const auto r = run_with_faults(tmp, kQueue, kSpeed, {"--rheometer-sim-arg=--fault=error-at 12@2"});
  INFO("stderr: " << r.process.err);
  REQUIRE_FALSE(r.process.timed_out);
  REQUIRE(r.process.exit_code == 0);  // a night with data from 2 of 3 sweeps is a finished run (app/run_dma.cpp)
  Db db(r.db_path);
  CHECK(db.scalar(fmt::format("SELECT exit_reason FROM runs WHERE id = {}", r.run_id)).find("1 of 3 sweeps failed") == 0);
  const auto failed = db.rows(fmt::format(
      "SELECT message FROM events WHERE run_id = {} AND kind = 'sweep_failed'", r.run_id));
  REQUIRE(failed.size() == 1);
  CHECK(failed[0][0].find("301") != std::string::npos);
  // The 12 points measured before the fault are all stored; nothing after it was measured.
  CHECK(db.scalar(fmt::format("SELECT count(*) FROM dma_points WHERE run_id = {} AND step_index = 1", r.run_id)) == "12");
  const auto d = check_dma_accounted(r);
  CHECK(d.at("stored") == d.at("emitted"));
}
