// Schema version, WAL mode, migrations and the readable views of the run store.
#include <doctest/doctest.h>

#include <string>

#include "acquisition/store/run_reader.hpp"
#include "acquisition/store/run_store.hpp"
#include "acquisition/store/schema.hpp"
#include "acquisition/store/sqlite.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "store_test_support.hpp"

using namespace glasslab;
using namespace glasslab::acquisition;
using test::sql_text;

TEST_CASE("a new store is created with its directories, the current schema, application id and WAL") {
  test::TempDir dir;
  const auto path = dir.file("nested/deeper/glasslab.sqlite");
  { RunStore store(path); }
  CHECK(sql_text(path, "PRAGMA user_version") == std::to_string(schema::kSchemaVersion));
  CHECK(sql_text(path, "PRAGMA application_id") == std::to_string(schema::kApplicationId));
  CHECK(sql_text(path, "PRAGMA journal_mode") == "wal");
  for (const char* table : {"runs", "stage_status", "stage_readings", "events", "frames", "frame_analysis",
                            "dma_points", "analysis_results", "run_control", "control_requests"}) {
    CAPTURE(table);
    CHECK(sql_text(path, std::string("SELECT COUNT(*) FROM sqlite_schema WHERE type='table' AND name='") + table +
                             "'") == "1");
  }
  for (const char* view :
       {"runs_v", "stage_readings_v", "events_v", "frames_v", "frame_analysis_v", "dma_points_v"}) {
    CAPTURE(view);
    CHECK(sql_text(path, std::string("SELECT COUNT(*) FROM sqlite_schema WHERE type='view' AND name='") + view +
                             "'") == "1");
  }
}

TEST_CASE("reopening a store keeps its data and does not migrate again") {
  test::TempDir dir;
  const auto path = dir.file("glasslab.sqlite");
  RunId run = 0;
  {
    RunStore store(path);
    run = store.begin_run(test::run_start());
    store.record(test::stage_reading(0));
    store.end_run(run, RunStop{});
  }
  {
    RunStore again(path);
    CHECK(again.begin_run(test::run_start()) == run + 1);
  }
  RunReader reader(path);
  CHECK(reader.list_runs().size() == 2);
  CHECK(reader.stage_readings(run).size() == 1);
  CHECK(sql_text(path, "PRAGMA user_version") == std::to_string(schema::kSchemaVersion));
}

TEST_CASE("a version 1 store is migrated to version 2: its runs stay, the control tables appear") {
  test::TempDir dir;
  const auto path = dir.file("v1.sqlite");
  const RunId run = [&] {
    RunStore store(path);
    const RunId id = store.begin_run(test::run_start());
    store.record(test::stage_reading(0));
    store.end_run(id, RunStop{});
    return id;
  }();
  {  // take the file back to what a v1 glasslab left
    sqlite::Database db(path, sqlite::Database::Mode::read_write);
    db.exec("DROP TABLE control_requests; DROP TABLE run_control; PRAGMA user_version = 1");
  }
  { RunStore store(path); }
  CHECK(sql_text(path, "PRAGMA user_version") == "2");
  CHECK(sql_text(path, "SELECT COUNT(*) FROM sqlite_schema WHERE name IN ('run_control', 'control_requests')") == "2");
  CHECK(sql_text(path, "SELECT COUNT(*) FROM stage_readings WHERE run_id = " + std::to_string(run)) == "1");
}

TEST_CASE("a SQLite file of another application is refused, not modified") {
  test::TempDir dir;
  const auto path = dir.file("other.sqlite");
  {
    sqlite::Database db(path, sqlite::Database::Mode::read_write_create);
    db.exec("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)");
  }
  CHECK_THROWS_AS(RunStore{path}, StoreError);
  CHECK_THROWS_AS(RunReader{path}, StoreError);
  CHECK(sql_text(path, "SELECT COUNT(*) FROM sqlite_schema") == "1");
}

TEST_CASE("a store of a newer schema version is refused with both versions named") {
  test::TempDir dir;
  const auto path = dir.file("future.sqlite");
  { RunStore store(path); }
  {
    sqlite::Database db(path, sqlite::Database::Mode::read_write);
    db.exec("PRAGMA user_version = 99");
  }
  try {
    RunStore store(path);
    FAIL("a v99 store was opened");
  } catch (const StoreError& e) {
    const std::string message = e.what();
    CHECK(message.find("99") != std::string::npos);
    CHECK(message.find(path) != std::string::npos);
  }
}

TEST_CASE("a missing database is a clear error for the reader and is not created") {
  test::TempDir dir;
  const auto path = dir.file("missing.sqlite");
  try {
    RunReader reader(path);
    FAIL("opened a missing database");
  } catch (const StoreError& e) {
    CHECK(std::string(e.what()).find(path) != std::string::npos);
  }
  CHECK_FALSE(std::filesystem::exists(path));
}

TEST_CASE("the views' UTC text is the text format_utc gives") {
  test::TempDir dir;
  const auto path = dir.file("glasslab.sqlite");
  { RunStore store(path); }
  sqlite::Database db(path, sqlite::Database::Mode::read_only);
  for (const std::int64_t ns : {std::int64_t{1'700'000'000'000'000'000}, std::int64_t{1'700'000'000'000'000'999},
                                std::int64_t{1'700'000'000'999'999'999}, test::kUtcOrigin_ns,
                                std::int64_t{951'782'400'000'001'000}}) {
    CAPTURE(ns);
    const auto text = db.query_text("SELECT " + schema::sql_utc_text(std::to_string(ns)));
    REQUIRE(text);
    CHECK(*text == format_utc(ns));
  }
  CHECK(format_utc(1'700'000'000'000'000'000) == "2023-11-14T22:13:20.000000Z");
}

TEST_CASE("stage_readings_v gives readable status and UTC for pandas") {
  test::TempDir dir;
  const auto path = dir.file("glasslab.sqlite");
  RunId run = 0;
  {
    RunStore store(path);
    run = store.begin_run(test::run_start());
    for (int i = 0; i < 3; ++i) store.record(test::stage_reading(i));
    store.end_run(run, RunStop{ExitStatus::success, "", test::kMonoOrigin_ns + 300'000'000, 0});
  }
  const auto where = " FROM stage_readings_v WHERE run_id = " + std::to_string(run);
  CHECK(sql_text(path, "SELECT status" + where + " ORDER BY t_mono_ns LIMIT 1") == "heating");
  CHECK(sql_text(path, "SELECT t_utc" + where + " ORDER BY t_mono_ns LIMIT 1") ==
        format_utc(test::stage_reading(0).t_utc_ns));
  CHECK(sql_text(path, "SELECT COUNT(DISTINCT status)" + where) == "2");
  // Interned: two distinct names, one row each, however many readings use them.
  CHECK(sql_text(path, "SELECT COUNT(*) FROM stage_status") == "2");
  CHECK(sql_text(path, "SELECT stage_readings FROM runs_v WHERE id = " + std::to_string(run)) == "3");
  CHECK(sql_text(path, "SELECT duration_s FROM runs_v WHERE id = " + std::to_string(run)) == "0.3");
}
