// Fault matrix, the wall clock (issue 7 item 3; docs/reliability.md "Fault table"): the host's
// wall clock jumps during a real `glasslab run --sim` (an NTP step, an operator setting the date).
// The jump is real for the process: Debian's libfaketime (LD_PRELOAD) fakes CLOCK_REALTIME from a
// timestamp file the test rewrites mid-run, and leaves CLOCK_MONOTONIC alone
// (FAKETIME_DONT_FAKE_MONOTONIC=1). This machine's own clock is never touched.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/e2e/faults/fault_run.hpp"

using namespace glasslab::test;

namespace {

const std::string kProfile = std::string(GLASSLAB_SOURCE_DIR) + "/tests/e2e/run/fixtures/short_profile.toml";
// scripts/setup-deps.sh installs Debian's libfaketime; the multithreaded variant, glasslab has threads.
const std::string kFaketime = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";

/// Sets the fake-time environment for the children of this test and takes it back afterwards.
struct FakeWallClock {
  explicit FakeWallClock(const std::string& timestamp_file) : file(timestamp_file) {
    set("+0");
    ::setenv("LD_PRELOAD", kFaketime.c_str(), 1);
    ::setenv("FAKETIME_DONT_FAKE_MONOTONIC", "1", 1);
    ::setenv("FAKETIME_TIMESTAMP_FILE", file.c_str(), 1);
    ::setenv("FAKETIME_NO_CACHE", "1", 1);
  }
  ~FakeWallClock() {
    for (const char* name : {"LD_PRELOAD", "FAKETIME_DONT_FAKE_MONOTONIC", "FAKETIME_TIMESTAMP_FILE", "FAKETIME_NO_CACHE"})
      ::unsetenv(name);
  }
  void set(const std::string& offset) const { std::ofstream(file) << offset << "\n"; }
  std::string file;
};

}  // namespace

TEST_CASE("fault matrix: clock jump of the wall clock: monotonic times stay monotonic, UTC follows them, not the jump") {
  REQUIRE_MESSAGE(std::filesystem::exists(kFaketime), kFaketime << " missing: scripts/setup-deps.sh installs libfaketime");
  TempDir tmp;
  const std::string db_path = tmp.path + "/runs.sqlite";
  int exit_code = -1;
  std::string err;
  {
    FakeWallClock clock(tmp.path + "/faketime");
    BackgroundProcess run({GLASSLAB_BINARY, "run", kProfile, "--sim", "--speed", "100", "--db", db_path, "--quiet"});
    run.wait_for_text("run 1 started", std::chrono::seconds(30));
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // into the ramp (t ~ 150 s of ~600)
    clock.set("-2h");  // the wall clock steps back two hours
    const auto code = run.wait_exit(std::chrono::seconds(90));
    REQUIRE(code);
    exit_code = *code;
    err = run.err();
  }
  INFO("stderr: " << err);
  CHECK(exit_code == 0);
  Db db(db_path);
  CHECK(db.scalar("SELECT exit_status FROM runs WHERE id = 1") == "success");
  // The process saw the jump: the checkpoint saved at a step boundary after it carries the wall
  // clock's time (docs/database.md), two hours before the run's start.
  const double checkpoint_behind_start_s = std::stod(db.scalar(
      "SELECT (julianday(start_utc) - julianday(checkpoint_utc)) * 86400 FROM runs WHERE id = 1"));
  CHECK(checkpoint_behind_start_s > 3600);
  // The records did not: monotonic and UTC times both strictly increase, and UTC is the run's
  // start plus monotonic time elapsed (one constant offset for every reading and event).
  for (const char* table : {"stage_readings", "events"}) {
    INFO(table);
    CHECK(db.scalar(fmt::format("SELECT count(*) FROM (SELECT t_mono_ns - lag(t_mono_ns) OVER (ORDER BY rowid) AS dm, "
                                "t_utc_ns - lag(t_utc_ns) OVER (ORDER BY rowid) AS du FROM {} WHERE run_id = 1) "
                                "WHERE dm < 0 OR du < 0", table)) == "0");
    CHECK(db.scalar(fmt::format("SELECT count(DISTINCT t_utc_ns - t_mono_ns) FROM {} WHERE run_id = 1", table)) == "1");
  }
  CHECK(db.scalar("SELECT count(DISTINCT s.t_utc_ns - s.t_mono_ns) FROM (SELECT t_utc_ns, t_mono_ns FROM stage_readings "
                  "WHERE run_id = 1 UNION ALL SELECT t_utc_ns, t_mono_ns FROM events WHERE run_id = 1) s") == "1");
  // No interlock, no gap: the watchdog and the poller run on the monotonic clock.
  INFO("events: " << db.scalar("SELECT group_concat(kind || ': ' || message, ' | ') FROM events WHERE run_id = 1 AND "
                               "kind IN ('interlock', 'gap', 'poll_late')"));
  CHECK(db.scalar("SELECT count(*) FROM events WHERE run_id = 1 AND kind IN ('interlock', 'gap', 'poll_late')") == "0");
}
