// Fault matrix, the run store (issue 7 item 3; docs/reliability.md "Fault table"): a disk that
// fills up under a real `glasslab run --sim` (SQLite's own SQLITE_FULL, through the store's
// max_page_count cap), and a reader that holds a snapshot open for the whole run.
#include <doctest/doctest.h>

#include <sqlite3.h>

#include <thread>

#include "tests/e2e/faults/fault_run.hpp"

using namespace glasslab::test;

namespace {

const std::string kProfile = std::string(GLASSLAB_SOURCE_DIR) + "/tests/e2e/run/fixtures/short_profile.toml";

/// The last line of the T95 simulator's reply log: "t_mono_ns,exit,<state>,".
std::pair<long long, std::string> t95_exit(const std::string& reply_log) {
  const auto result = run_process({"/usr/bin/tail", "-n", "1", reply_log}, std::chrono::seconds(10));
  const std::string line = result.out.substr(0, result.out.find('\n'));
  const auto first = line.find(','), second = line.find(',', first + 1), third = line.find(',', second + 1);
  REQUIRE_MESSAGE(line.substr(first + 1, second - first - 1) == "exit", "no exit line in " << reply_log);
  return {std::stoll(line.substr(0, first)), line.substr(second + 1, third - second - 1)};
}

long long count_rows(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(st) == SQLITE_ROW);
  const long long n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return n;
}

}  // namespace

TEST_CASE("fault matrix: SQLite disk full (SQLITE_FULL): the run stops safely, keeps what was written, says why") {
  TempDir tmp;
  // 200 kB hold the schema and about 1400 readings: at 10 Hz the store fills up during the ramp.
  const auto r = run_with_faults(tmp, kProfile, 100, {"--poll-hz", "10", "--db-max-bytes", "200000"});
  INFO("stderr: " << r.process.err);
  REQUIRE_FALSE(r.process.timed_out);
  CHECK(r.process.exit_code == 1);
  CHECK(r.process.err.find("SQLITE_FULL") != std::string::npos);  // the operator is told why
  Db db(r.db_path);
  CHECK(db.scalar("PRAGMA integrity_check") == "ok");
  const auto run = db.rows(fmt::format("SELECT exit_status, exit_reason FROM runs WHERE id = {}", r.run_id));
  REQUIRE(run.size() == 1);
  CHECK(run[0][0] == "failed");  // the end of the run still fits: an UPDATE of its row
  CHECK(run[0][1].find("SQLITE_FULL") != std::string::npos);
  CHECK(run[0][1].find("instruments left safe") != std::string::npos);
  // What was committed before the disk filled is there, in order.
  const long long readings = std::stoll(db.scalar(fmt::format("SELECT count(*) FROM stage_readings WHERE run_id = {}", r.run_id)));
  CHECK(readings > 500);
  CHECK(db.scalar(fmt::format("SELECT count(*) FROM (SELECT t_mono_ns - lag(t_mono_ns) OVER (ORDER BY rowid) AS d "
                              "FROM stage_readings WHERE run_id = {}) WHERE d <= 0", r.run_id)) == "0");
  // The stage, as the simulator saw it: stopped, soon after the last reading that could be written
  // (the run did not go on measuring into nothing: its ramp to 340 K was not finished).
  const auto [exit_ns, state] = t95_exit(r.t95_log);
  CHECK(state == "stopped");
  const long long last_ns = std::stoll(db.scalar(fmt::format("SELECT max(t_mono_ns) FROM stage_readings WHERE run_id = {}", r.run_id)));
  CHECK((exit_ns - last_ns) * 1e-9 < 120.0);  // experiment seconds at x100: about a second of wall time
  CHECK(std::stod(db.scalar(fmt::format("SELECT max(T_K) FROM stage_readings WHERE run_id = {}", r.run_id))) < 339.0);
}

TEST_CASE("fault matrix: database locked by a reader: a snapshot held open for the whole run never blocks the writer") {
  TempDir tmp;
  const std::string db_path = tmp.path + "/runs.sqlite";
  BackgroundProcess run({GLASSLAB_BINARY, "run", kProfile, "--sim", "--speed", "100", "--db", db_path, "--quiet"});
  run.wait_for_text("run 1 started", std::chrono::seconds(30));

  // The reader: a read transaction (a SHARED lock on the file and a WAL snapshot), held until the end.
  sqlite3* reader = nullptr;
  REQUIRE(sqlite3_open_v2(db_path.c_str(), &reader, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_busy_timeout(reader, 5000);
  REQUIRE(sqlite3_exec(reader, "BEGIN", nullptr, nullptr, nullptr) == SQLITE_OK);
  const std::string count_sql = "SELECT count(*) FROM stage_readings WHERE run_id = 1";
  const long long in_snapshot = count_rows(reader, count_sql);
  // Meanwhile the writer goes on: a second reader sees its commits arrive.
  long long seen_later = 0;
  for (int i = 0; i < 40 && seen_later <= in_snapshot + 50; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    Db fresh(db_path);
    seen_later = std::stoll(fresh.scalar(count_sql));
  }
  CHECK(seen_later > in_snapshot + 50);
  const auto exit_code = run.wait_exit(std::chrono::seconds(60));
  REQUIRE(exit_code);
  INFO("stderr: " << run.err());
  CHECK(*exit_code == 0);
  CHECK(count_rows(reader, count_sql) == in_snapshot);  // the reader's snapshot did not move
  REQUIRE(sqlite3_exec(reader, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(reader);

  Db db(db_path);
  CHECK(db.scalar("SELECT exit_status FROM runs WHERE id = 1") == "success");
  CHECK(run.err().find("store:") == std::string::npos);  // no writer error
  CHECK(db.scalar("SELECT count(*) FROM events WHERE run_id = 1 AND kind IN ('gap', 'poll_late')") == "0");
  // Readings up to the end of the run: the writer was never held up behind the reader.
  CHECK(std::stod(db.scalar("SELECT ((SELECT stop_mono_ns FROM runs WHERE id = 1) - max(t_mono_ns)) / 1e9 FROM "
                            "stage_readings WHERE run_id = 1")) < 30.0);
  CHECK(std::stoll(db.scalar(count_sql)) > seen_later);
}
