// The `glasslab run` command end to end on the simulated T95: a real pty, a real SQLite file,
// the real CLI as a separate process.
#include <doctest/doctest.h>
#include <sqlite3.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "tests/support/process.hpp"
#include "tests/support/sqlite_db.hpp"

using glasslab::test::last_line;
using glasslab::test::run_process;
using glasslab::test::TempDir;

namespace {

const std::string kShortProfile = std::string(GLASSLAB_SOURCE_DIR) + "/tests/e2e/run/fixtures/short_profile.toml";

using glasslab::test::Db;

}  // namespace

TEST_CASE("run --sim executes the schedule, logs every reading and prints the run id last") {
  TempDir tmp;
  const std::string db_path = tmp.path + "/runs.sqlite";
  auto result = run_process({GLASSLAB_BINARY, "run", kShortProfile, "--sim", "--speed", "60", "--db", db_path, "--quiet"},
                            std::chrono::seconds(120));
  INFO("stderr: " << result.err);
  REQUIRE_FALSE(result.timed_out);
  REQUIRE(result.exit_code == 0);
  const std::string run_id = last_line(result.out);
  REQUIRE(!run_id.empty());
  CHECK(run_id.find_first_not_of("0123456789") == std::string::npos);

  Db db(db_path);
  CHECK(db.scalar("PRAGMA journal_mode") == "wal");
  CHECK(db.scalar(fmt::format("SELECT exit_status FROM runs WHERE id = {}", run_id)) == "success");
  const int readings = std::stoi(db.scalar(fmt::format("SELECT count(*) FROM stage_readings WHERE run_id = {}", run_id)));
  // cool ~15 K, hold 60 s, heat 60 K at 10 K/min, cool 40 K at 50 K/min, with settle times: > 500 s at 2 Hz
  CHECK(readings > 700);
  // The hold reached its temperature and the ramps their targets.
  CHECK(std::stod(db.scalar(fmt::format("SELECT min(T_K) FROM stage_readings WHERE run_id = {}", run_id))) < 281.0);
  CHECK(std::stod(db.scalar(fmt::format("SELECT max(T_K) FROM stage_readings WHERE run_id = {}", run_id))) > 339.4);
  // Monotonic times strictly increase: no reading is duplicated.
  CHECK(db.scalar(fmt::format("SELECT count(*) FROM (SELECT t_mono_ns - lag(t_mono_ns) OVER (ORDER BY rowid) AS d "
                              "FROM stage_readings WHERE run_id = {}) WHERE d <= 0",
                              run_id)) == "0");
  // Every step started and ended.
  CHECK(db.scalar(fmt::format("SELECT count(*) FROM events WHERE run_id = {} AND kind = 'step_end'", run_id)) == "3");
  CHECK(db.scalar(fmt::format("SELECT count(*) FROM events WHERE run_id = {} AND kind = 'safe_state' AND source = 'engine'", run_id)) == "1");
  // The schedule text is stored with the run.
  CHECK(db.scalar(fmt::format("SELECT instr(schedule_text, 'short heating profile') > 0 FROM runs WHERE id = {}", run_id)) == "1");

  auto exported = run_process({GLASSLAB_BINARY, "export", run_id, "--stream", "stage", "--format", "csv", "--db", db_path},
                              std::chrono::seconds(30));
  REQUIRE(exported.exit_code == 0);
  const std::string header = exported.out.substr(0, exported.out.find('\n'));
  for (const char* column : {"t_utc", "t_mono_s", "T_K", "setpoint_K", "status"})
    CHECK_MESSAGE(header.find(column) != std::string::npos, column);
  CHECK(std::count(exported.out.begin(), exported.out.end(), '\n') == readings + 1);
}

TEST_CASE("SIGINT during a run leaves the stage safe and closes the run as aborted") {
  TempDir tmp;
  const std::string db_path = tmp.path + "/runs.sqlite";
  auto result = run_process({GLASSLAB_BINARY, "run", kShortProfile, "--sim", "--speed", "20", "--db", db_path, "--quiet"},
                            std::chrono::seconds(60), [](int pid) {
                              std::this_thread::sleep_for(std::chrono::seconds(3));
                              kill(pid, SIGINT);
                            });
  INFO("stderr: " << result.err);
  REQUIRE_FALSE(result.timed_out);
  CHECK(result.exit_code == 3);
  const std::string run_id = last_line(result.out);
  Db db(db_path);
  CHECK(db.scalar(fmt::format("SELECT exit_status FROM runs WHERE id = {}", run_id)) == "aborted");
  CHECK(db.scalar(fmt::format("SELECT count(*) FROM events WHERE run_id = {} AND kind = 'safe_state' AND source = 'engine'", run_id)) == "1");
  CHECK(std::stoi(db.scalar(fmt::format("SELECT count(*) FROM stage_readings WHERE run_id = {}", run_id))) > 10);
}

TEST_CASE("a schedule with errors is refused before any instrument moves, naming file, line and key") {
  TempDir tmp;
  const std::string bad = tmp.path + "/bad.toml";
  std::ofstream(bad) << "[schedule]\ntitle = \"bad\"\n[instruments.stage]\n\n[[step]]\nkind = \"ramp\"\nto_K = 2000.0\n"
                        "rate_K_per_min = 10\n";
  const std::string db_path = tmp.path + "/runs.sqlite";
  auto result = run_process({GLASSLAB_BINARY, "run", bad, "--sim", "--speed", "100", "--db", db_path},
                            std::chrono::seconds(30));
  CHECK(result.exit_code != 0);
  CHECK(result.err.find("bad.toml:7") != std::string::npos);
  CHECK(result.err.find("to_K") != std::string::npos);
  CHECK(access(db_path.c_str(), F_OK) != 0);  // nothing was opened, nothing recorded
}

// The T95 line dropping mid-ramp and the other faults of the stage's line: tests/e2e/faults.
