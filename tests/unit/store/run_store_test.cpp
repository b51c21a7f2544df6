// The RunStore writer: every record type round-trips through a real SQLite file; batching; many
// producers; readers never block the writer; a full disk stops the writer and keeps what was
// committed; resume.
#include <doctest/doctest.h>

#include <atomic>
#include <cmath>
#include <set>
#include <thread>
#include <vector>

#include <unistd.h>

#include "acquisition/store/run_reader.hpp"
#include "acquisition/store/run_store.hpp"
#include "acquisition/store/sqlite.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "store_test_support.hpp"

using namespace glasslab;
using namespace glasslab::acquisition;
using test::sql_text;

namespace {

void check_same(const StageReading& got, const StageReading& want) {
  CHECK(got.t_mono_ns == want.t_mono_ns);
  CHECK(got.t_utc_ns == want.t_utc_ns);
  CHECK(got.T_K == want.T_K);  // exact: REAL is an IEEE double
  CHECK(got.setpoint_K == want.setpoint_K);
  CHECK(got.rate_K_per_min == want.rate_K_per_min);
  CHECK(got.status_code == want.status_code);
  CHECK(got.status == want.status);
  CHECK(got.error_bits == want.error_bits);
  CHECK(got.pump_speed == want.pump_speed);
  CHECK(got.pump_automatic == want.pump_automatic);
  CHECK(got.step_index == want.step_index);
}

}  // namespace

TEST_CASE("every record type round-trips through the file") {
  test::TempDir dir;
  const auto path = dir.file("glasslab.sqlite");
  const auto start = test::run_start();
  Event event{test::kMonoOrigin_ns + 5, test::kUtcOrigin_ns + 5, EventLevel::warning, "linkam", "comms_fault",
              "no reply to T from serial:/dev/pts/3 within 500 ms, reconnecting"};
  FrameRecord frame;
  frame.index = 7;
  frame.trigger_mono_ns = test::kMonoOrigin_ns + 84'000'000'000;
  frame.t_start_mono_ns = frame.trigger_mono_ns + 120'000;
  frame.t_end_mono_ns = frame.t_start_mono_ns + 12'000'000'000;
  frame.t_start_utc_ns = test::kUtcOrigin_ns + 84'000'120'000;
  frame.t_end_utc_ns = frame.t_start_utc_ns + 12'000'000'000;
  frame.start_source = "readback";
  frame.T_start_K = 107.15;
  frame.T_mid_K = 108.15;  // T_end_K stays missing: stored as NULL, loaded as nullopt
  frame.file = "/data/frames/frame_0007.gr";
  frame.status = "ok";
  frame.step_index = 1;
  DmaPoint point{test::kMonoOrigin_ns + 9, test::kUtcOrigin_ns + 9, 4711, "bending 0.05-15 Hz", 301.5, 15.0,
                 2.5e10, 1.25e8, 0.005, 0.01, 1.5, 2.5e-3, "bending", 2};
  FrameAnalysis analysis;
  analysis.frame_index = 7;
  analysis.rho0_per_A3 = 0.0589;
  analysis.rho0_fitted = true;
  analysis.r_max_A = 20.0;
  analysis.seq_kB_per_atom = -3.21;
  analysis.seq_J_per_mol_K = -26.69;
  analysis.status = "ok";

  RunStop stop{ExitStatus::aborted, "SIGINT from operator", test::kMonoOrigin_ns + 600'000'000'000,
               test::kUtcOrigin_ns + 600'000'000'000};
  RunId run = 0;
  {
    RunStore store(path);
    run = store.begin_run(start);
    CHECK(store.active_run() == run);
    StageReading odd = test::stage_reading(1);
    odd.T_K = std::nan("");  // SQLite stores NaN as NULL; it must come back as NaN, not stop the writer
    store.record(test::stage_reading(0));
    store.record(odd);
    store.record(event);
    store.record(frame);
    store.record(point);
    store.record_frame_analysis(analysis);
    store.record_analysis_result(run, "dma_arrhenius", "beta", R"({"activation_energy_eV":1.29})");
    store.save_checkpoint(run, R"({"step":2})");
    store.end_run(run, stop);
    CHECK_FALSE(store.writer_error());
  }

  RunReader reader(path);
  const auto info = reader.run(run);
  CHECK(info.schedule_path == start.schedule_path);
  CHECK(info.schedule_text == start.schedule_text);
  CHECK(info.sample_json == start.sample_json);
  CHECK(info.configuration_json == start.configuration_json);
  CHECK(info.operator_name == "tester");
  CHECK(info.software_version == "glasslab 0.1.0");
  CHECK(info.start_utc == format_utc(start.start_utc_ns));
  CHECK(info.start_mono_ns == start.start_mono_ns);
  CHECK(info.exit_status == "aborted");
  CHECK(info.exit_reason == "SIGINT from operator");
  CHECK(info.stop_utc == format_utc(stop.stop_utc_ns));
  CHECK(info.stop_mono_ns == stop.stop_mono_ns);
  CHECK(info.duration_s() == doctest::Approx(600.0));
  CHECK(info.writer_pid == static_cast<int>(::getpid()));
  CHECK(info.checkpoint_json == R"({"step":2})");

  const auto readings = reader.stage_readings(run);
  REQUIRE(readings.size() == 2);
  check_same(readings[0], test::stage_reading(0));
  CHECK(std::isnan(readings[1].T_K));
  CHECK(readings[1].step_index == 1);

  const auto events = reader.events(run);
  REQUIRE(events.size() == 1);
  CHECK(events[0].t_mono_ns == event.t_mono_ns);
  CHECK(events[0].t_utc_ns == event.t_utc_ns);
  CHECK(events[0].level == EventLevel::warning);
  CHECK(events[0].source == "linkam");
  CHECK(events[0].kind == "comms_fault");
  CHECK(events[0].message == event.message);

  const auto frames = reader.frames(run);
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].index == 7);
  CHECK(frames[0].trigger_mono_ns == frame.trigger_mono_ns);
  CHECK(frames[0].t_start_mono_ns == frame.t_start_mono_ns);
  CHECK(frames[0].t_end_mono_ns == frame.t_end_mono_ns);
  CHECK(frames[0].t_start_utc_ns == frame.t_start_utc_ns);
  CHECK(frames[0].t_end_utc_ns == frame.t_end_utc_ns);
  CHECK(frames[0].start_source == "readback");
  CHECK(frames[0].T_start_K == frame.T_start_K);
  CHECK(frames[0].T_mid_K == frame.T_mid_K);
  CHECK_FALSE(frames[0].T_end_K.has_value());
  CHECK(frames[0].file == frame.file);
  CHECK(frames[0].status == "ok");
  CHECK(frames[0].step_index == 1);

  const auto points = reader.dma_points(run);
  REQUIRE(points.size() == 1);
  const auto& p = points[0];
  CHECK(p.t_mono_ns == point.t_mono_ns);
  CHECK(p.t_utc_ns == point.t_utc_ns);
  CHECK(p.instrument_index == 4711);
  CHECK(p.sweep == point.sweep);
  CHECK(p.T_K == point.T_K);
  CHECK(p.frequency_Hz == point.frequency_Hz);
  CHECK(p.storage_modulus_Pa == point.storage_modulus_Pa);
  CHECK(p.loss_modulus_Pa == point.loss_modulus_Pa);
  CHECK(p.tan_delta == point.tan_delta);
  CHECK(p.strain_pct == point.strain_pct);
  CHECK(p.force_N == point.force_N);
  CHECK(p.torque_Nm == point.torque_Nm);
  CHECK(p.mode == "bending");
  CHECK(p.step_index == 2);

  const auto analyses = reader.frame_analysis(run);
  REQUIRE(analyses.size() == 1);
  CHECK(analyses[0].run_id == run);
  CHECK(analyses[0].frame_index == 7);
  CHECK(analyses[0].rho0_per_A3 == analysis.rho0_per_A3);
  CHECK(analyses[0].rho0_fitted);
  CHECK_FALSE(analyses[0].r_min_A.has_value());
  CHECK(analyses[0].r_max_A == 20.0);
  CHECK(analyses[0].seq_kB_per_atom == analysis.seq_kB_per_atom);
  CHECK(analyses[0].seq_J_per_mol_K == analysis.seq_J_per_mol_K);
  CHECK(analyses[0].analyzed_utc_ns > 0);  // stamped by the store when the caller left it 0

  const auto results = reader.analysis_results(run);
  REQUIRE(results.size() == 1);
  CHECK(results[0].kind == "dma_arrhenius");
  CHECK(results[0].name == "beta");
  CHECK(results[0].json == R"({"activation_energy_eV":1.29})");
  CHECK(results[0].created_utc.size() == 27);  // 2026-01-01T00:00:00.000000Z
}

TEST_CASE("a frame or frame analysis recorded again replaces its row") {
  test::TempDir dir;
  const auto path = dir.file("glasslab.sqlite");
  RunId run = 0;
  {
    RunStore store(path);
    run = store.begin_run(test::run_start());
    FrameRecord frame;
    frame.index = 3;
    frame.status = "missed";
    frame.reason = "no file within 2 s";
    store.record(frame);
    frame.status = "late";
    frame.file = "frame_0003.gr";
    frame.reason = "file arrived 3.1 s after the exposure";
    store.record(frame);
  }
  RunReader reader(path);
  const auto frames = reader.frames(run);
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].status == "late");
  CHECK(frames[0].file == "frame_0003.gr");
}

TEST_CASE("files that matched no trigger each keep a row of their own, numbered -1, -2, ... per run") {
  test::TempDir dir;
  const auto path = dir.file("glasslab.sqlite");
  RunId first = 0, second = 0;
  {
    RunStore store(path);
    first = store.begin_run(test::run_start());
    FrameRecord frame;
    frame.index = 0;
    frame.status = "ok";
    frame.file = "frame_0000.gr";
    store.record(frame);
    for (const char* name : {"stray_a.gr", "stray_b.gr", "stray_c.gr"}) {
      FrameRecord unmatched;
      unmatched.index = -1;  // what the XRD runner gives a file that matched no trigger
      unmatched.status = "unmatched_file";
      unmatched.file = name;
      store.record(unmatched);
    }
    store.flush();
    second = store.begin_run(test::run_start());
    FrameRecord unmatched;
    unmatched.index = -1;
    unmatched.status = "unmatched_file";
    unmatched.file = "other_run.gr";
    store.record(unmatched);
  }
  RunReader reader(path);
  const auto frames = reader.frames(first);
  REQUIRE(frames.size() == 4);
  std::set<std::string> files;
  std::set<int> indices;
  for (const auto& f : frames) {
    files.insert(f.file);
    indices.insert(f.index);
  }
  CHECK(files == std::set<std::string>{"frame_0000.gr", "stray_a.gr", "stray_b.gr", "stray_c.gr"});
  CHECK(indices == std::set<int>{-3, -2, -1, 0});
  const auto others = reader.frames(second);
  REQUIRE(others.size() == 1);
  CHECK(others[0].index == -1);  // numbered per run
}

TEST_CASE("recording before begin_run is a usage error") {
  test::TempDir dir;
  RunStore store(dir.file("glasslab.sqlite"));
  CHECK_THROWS_AS(store.record(test::stage_reading(0)), UsageError);
  CHECK_THROWS_AS(store.record(Event{}), UsageError);
}

TEST_CASE("end_run of an unknown run names it") {
  test::TempDir dir;
  RunStore store(dir.file("glasslab.sqlite"));
  try {
    store.end_run(42, RunStop{});
    FAIL("end_run accepted run 42");
  } catch (const UsageError& e) {
    CHECK(std::string(e.what()).find("42") != std::string::npos);
  }
  CHECK_FALSE(store.writer_error());  // a usage error does not stop the writer
}

TEST_CASE("batches: nothing is lost when many records are queued, and flush makes them visible") {
  test::TempDir dir;
  const auto path = dir.file("glasslab.sqlite");
  constexpr int kReadings = 20'000;
  StoreOptions options;
  options.batch_max_rows = 256;
  options.batch_max_age = std::chrono::seconds(30);  // only size and flush() trigger commits here
  RunStore store(path, options);
  const RunId run = store.begin_run(test::run_start());
  for (int i = 0; i < kReadings; ++i) store.record(test::stage_reading(i));
  store.flush();
  const auto stats = store.stats();
  CHECK(stats.records_queued == kReadings);
  CHECK(stats.records_committed == kReadings);
  CHECK(stats.records_dropped == 0);
  // At most batch_max_rows per transaction, so at least kReadings / 256 of them; and batched.
  CHECK(stats.batches_committed >= kReadings / 256);
  CHECK(stats.batches_committed < kReadings / 10);

  RunReader reader(path);
  const auto readings = reader.stage_readings(run);
  REQUIRE(readings.size() == kReadings);
  for (int i = 0; i < kReadings; i += 997) check_same(readings[static_cast<std::size_t>(i)], test::stage_reading(i));
  for (int i = 0; i < kReadings; ++i) {
    if (readings[static_cast<std::size_t>(i)].step_index != i) FAIL("reading " << i << " out of order or missing");
  }
}

TEST_CASE("a partial batch is committed by age without flush") {
  test::TempDir dir;
  const auto path = dir.file("glasslab.sqlite");
  StoreOptions options;
  options.batch_max_rows = 1000;
  options.batch_max_age = std::chrono::milliseconds(20);
  RunStore store(path, options);
  const RunId run = store.begin_run(test::run_start());
  for (int i = 0; i < 10; ++i) store.record(test::stage_reading(i));
  // Functional, not a timing assertion: the rows must appear eventually (generous deadline).
  std::string count;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    count = sql_text(path, "SELECT COUNT(*) FROM stage_readings WHERE run_id = " + std::to_string(run));
    if (count == "10") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(count == "10");
}

TEST_CASE("records from several threads all arrive, none duplicated") {
  test::TempDir dir;
  const auto path = dir.file("glasslab.sqlite");
  constexpr int kThreads = 4, kPerThread = 5000;
  RunId run = 0;
  {
    StoreOptions options;
    options.batch_max_rows = 100;
    RunStore store(path, options);
    run = store.begin_run(test::run_start());
    std::vector<std::thread> producers;
    for (int t = 0; t < kThreads; ++t) {
      producers.emplace_back([&store, t] {
        for (int i = 0; i < kPerThread; ++i) {
          if (t == 0) {
            store.record(test::stage_reading(i));
          } else {
            store.record(Event{test::kMonoOrigin_ns + i, test::kUtcOrigin_ns + i, EventLevel::debug, "thread",
                               std::to_string(t), std::to_string(i)});
          }
        }
      });
    }
    for (auto& producer : producers) producer.join();
  }  // the destructor commits what is still queued
  RunReader reader(path);
  CHECK(reader.stage_readings(run).size() == kPerThread);
  const auto events = reader.events(run);
  CHECK(events.size() == (kThreads - 1) * kPerThread);
  std::set<std::pair<std::string, std::string>> unique;
  for (const auto& e : events) unique.emplace(e.kind, e.message);
  CHECK(unique.size() == events.size());
}

TEST_CASE("a reader holding a read transaction does not block the writer") {
  test::TempDir dir;
  const auto path = dir.file("glasslab.sqlite");
  RunStore store(path);
  const RunId run = store.begin_run(test::run_start());
  for (int i = 0; i < 100; ++i) store.record(test::stage_reading(i));
  store.flush();

  RunReader reader(path);
  auto& db = reader.database();
  db.exec("BEGIN");
  const auto count_sql = "SELECT COUNT(*) FROM stage_readings WHERE run_id = " + std::to_string(run);
  CHECK(db.query_int(count_sql) == 100);  // the read transaction now holds a snapshot

  for (int i = 100; i < 5100; ++i) store.record(test::stage_reading(i));
  store.flush();  // would hit busy_timeout and fail if the reader blocked the writer
  CHECK_FALSE(store.writer_error());
  CHECK(store.stats().records_committed == 5100);
  CHECK(db.query_int(count_sql) == 100);  // snapshot isolation: still the old view
  db.exec("COMMIT");
  CHECK(db.query_int(count_sql) == 5100);
}

TEST_CASE("a full disk (SQLITE_FULL) stops the writer, keeps committed rows and says why") {
  test::TempDir dir;
  const auto path = dir.file("glasslab.sqlite");
  StoreOptions options;
  options.batch_max_rows = 50;
  options.max_size_bytes = 256 * 1024;  // PRAGMA max_page_count: writes past this fail with SQLITE_FULL
  std::atomic<int> callbacks{0};
  std::string callback_reason;
  RunId run = 0;
  int recorded = 0;
  {
    RunStore store(path, options);
    store.set_on_writer_error([&](const std::string& reason) {
      callback_reason = reason;
      ++callbacks;
    });
    run = store.begin_run(test::run_start());
    // Far more than fits: about 60 bytes a row plus the index.
    for (; recorded < 20'000 && !store.writer_error(); ++recorded) {
      store.record(test::stage_reading(recorded));
      if (recorded % 500 == 499) store.flush();
    }
    store.flush();
    const auto error = store.writer_error();
    REQUIRE(error);
    CHECK(error->find("SQLITE_FULL") != std::string::npos);
    CHECK(error->find(path) != std::string::npos);
    CHECK(callbacks == 1);
    CHECK(callback_reason == *error);

    const auto before = store.stats();
    CHECK_NOTHROW(store.record(test::stage_reading(999'999)));  // dropped, never thrown at a poll loop
    store.flush();
    CHECK(store.stats().records_dropped == before.records_dropped + 1);
    CHECK_THROWS_AS(store.begin_run(test::run_start()), StoreError);
    CHECK_NOTHROW(store.end_run(run, RunStop{ExitStatus::failed, "store full", 0, 0}));
  }
  CHECK(sql_text(path, "PRAGMA integrity_check") == "ok");
  RunReader reader(path);
  const auto readings = reader.stage_readings(run);
  REQUIRE(readings.size() > 100);
  CHECK(readings.size() < static_cast<std::size_t>(recorded));
  // What was committed is intact and gapless: batches are all or nothing.
  for (std::size_t i = 0; i < readings.size(); ++i) {
    if (readings[i].step_index != static_cast<int>(i)) FAIL("row " << i << " is reading " << readings[i].step_index);
  }
  check_same(readings.back(), test::stage_reading(static_cast<int>(readings.size() - 1)));
}

TEST_CASE("resume_run reopens a closed run and new records go to it") {
  test::TempDir dir;
  const auto path = dir.file("glasslab.sqlite");
  RunId run = 0;
  {
    RunStore store(path);
    run = store.begin_run(test::run_start());
    store.record(test::stage_reading(0));
    store.end_run(run, RunStop{ExitStatus::aborted, "power cut of the chiller", 0, 0});
  }
  {
    RunStore store(path);
    CHECK_THROWS_AS(store.resume_run(run + 100), UsageError);
    store.resume_run(run);
    CHECK(store.active_run() == run);
    store.record(test::stage_reading(1));
    store.flush();
    RunReader reader(path);
    CHECK(reader.run(run).exit_status == "running");
    CHECK_FALSE(reader.run(run).stop_utc.has_value());
    store.end_run(run, RunStop{});
  }
  RunReader reader(path);
  CHECK(reader.run(run).exit_status == "success");
  CHECK(reader.stage_readings(run).size() == 2);
}
