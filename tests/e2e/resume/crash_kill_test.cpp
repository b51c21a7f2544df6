// kill -9 of a real `glasslab run --sim` process at several moments: the database passes
// integrity_check, every reading that was committed before the kill (as an outside reader saw
// it) is still there unchanged, readings stay monotonic, and the run shows as interrupted, for good.
#include <doctest/doctest.h>
#include <signal.h>

#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include "store_watch.hpp"
#include "tests/support/process.hpp"
#include "tests/support/sqlite_db.hpp"

using glasslab::test::CommittedRows;
using glasslab::test::Db;
using glasslab::test::run_process;
using glasslab::test::StoreWatch;
using glasslab::test::TempDir;

namespace {
const std::string kProfile = std::string(GLASSLAB_SOURCE_DIR) + "/tests/e2e/resume/fixtures/resume_profile.toml";
}

TEST_CASE("kill -9 at several moments: integrity ok, committed readings intact and monotonic, run interrupted for good") {
  // From "the simulator is still starting" to "deep in the second hold" (x100: ~2.5 s per run).
  for (const int kill_after_ms : {80, 500, 1100, 1900}) {
    CAPTURE(kill_after_ms);
    TempDir tmp;
    const std::string db_path = tmp.path + "/runs.sqlite";
    StoreWatch watch(db_path);
    CommittedRows seen;
    const auto result = run_process(
        {GLASSLAB_BINARY, "run", kProfile, "--sim", "--speed", "100", "--db", db_path, "--quiet"},
        std::chrono::seconds(60), [&](int pid) {
          const auto kill_at = std::chrono::steady_clock::now() + std::chrono::milliseconds(kill_after_ms);
          while (std::chrono::steady_clock::now() < kill_at) {
            if (auto rows = watch.committed()) seen = std::move(*rows);
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
          }
          kill(pid, SIGKILL);
        });
    REQUIRE_FALSE(result.timed_out);
    CHECK(result.exit_code == 128 + SIGKILL);
    if (!std::filesystem::exists(db_path)) {
      CHECK(kill_after_ms < 500);  // killed before the store was created: nothing to lose
      continue;
    }
    {
      Db db(db_path);
      CHECK(db.scalar("PRAGMA integrity_check") == "ok");
      // Every reading committed before the kill is there, unchanged (same rowid, same values).
      const auto after = watch.committed();
      REQUIRE(after);
      CHECK(after->stage.size() >= seen.stage.size());
      for (const auto& [rowid, row] : seen.stage) {
        const auto it = after->stage.find(rowid);
        if (it == after->stage.end() || it->second != row) FAIL("committed reading rowid " << rowid << " lost or changed");
      }
      CHECK(db.scalar("SELECT count(*) FROM (SELECT t_mono_ns - lag(t_mono_ns) OVER (PARTITION BY run_id ORDER BY "
                      "rowid) AS d FROM stage_readings) WHERE d <= 0") == "0");
      if (kill_after_ms >= 1100) CHECK(seen.stage.size() > 20);  // the kill landed mid-run, not before it
    }
    // Shown as interrupted, not running, and it stays so.
    for (int look = 0; look < 2; ++look) {
      const auto runs = run_process({GLASSLAB_BINARY, "runs", "--db", db_path}, std::chrono::seconds(30));
      CHECK(runs.exit_code == 0);
      CHECK(runs.out.find("running") == std::string::npos);
      Db db(db_path);
      const int run_count = std::stoi(db.scalar("SELECT count(*) FROM runs"));
      CHECK(db.scalar("SELECT count(*) FROM runs WHERE exit_status = 'interrupted'") == std::to_string(run_count));
      if (run_count > 0) {
        CHECK(runs.out.find("interrupted") != std::string::npos);
        CHECK(db.scalar("SELECT count(*) FROM events WHERE kind = 'interrupted'") == "1");
      }
      CHECK(db.scalar("PRAGMA integrity_check") == "ok");
    }
  }
}
