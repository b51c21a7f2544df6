// Run store figures (issue 2: "the database under 200 bytes per stage reading"; no poll waits on
// the disk). A plain timed program, not a microbenchmark: it measures file sizes and whole runs.
//
// Records 100,000 stage readings (a 10 Hz log of a 10 K/min ramp, about 2.8 hours) and prints, in
// the same run:
//   - bytes per reading in the file, for the schema as shipped and for the alternatives it was
//     chosen over (status as text; WITHOUT ROWID keyed by time);
//   - throughput and the caller's per-record latency (what a poll loop sees) of the batched
//     RunStore (synchronous=NORMAL and FULL) against the naive peer: one transaction per INSERT,
//     executed on the caller's thread.
//
// Usage: bench_store [READINGS] [DIR]   (defaults: 100000, a fresh directory under /tmp)
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

#include <fmt/format.h>

#include "acquisition/store/run_store.hpp"
#include "acquisition/store/sqlite.hpp"

using namespace glasslab::acquisition;
using SteadyClock = std::chrono::steady_clock;

namespace {

std::vector<StageReading> synthetic_log(int count) {
  std::mt19937_64 rng(42);
  std::normal_distribution<double> noise_K(0.0, 0.02);
  std::vector<StageReading> log;
  log.reserve(static_cast<std::size_t>(count));
  const std::int64_t mono0 = 7'200'000'000'000, utc0 = 1'764'000'000'000'000'000;
  for (int i = 0; i < count; ++i) {
    StageReading r;
    r.t_mono_ns = mono0 + std::int64_t{i} * 100'000'000 + static_cast<std::int64_t>(rng() % 200'000);
    r.t_utc_ns = utc0 + (r.t_mono_ns - mono0);
    r.T_K = std::min(873.15, 93.15 + 10.0 / 600.0 * i) + noise_K(rng);  // 10 K/min at 10 Hz
    r.setpoint_K = 873.15;
    r.rate_K_per_min = 10.0;
    r.status_code = r.T_K < 873.0 ? 0x10 : 0x30;
    r.status = r.T_K < 873.0 ? "heating" : "holding_limit";
    r.error_bits = 0;
    r.pump_speed = static_cast<int>(rng() % 31);
    r.pump_automatic = true;
    r.step_index = 1;
    log.push_back(r);
  }
  return log;
}

RunStart bench_run_start() {
  RunStart s;
  s.schedule_path = "bench";
  s.sample_json = R"({"name":"bench"})";
  return s;
}

/// File size once the WAL is folded back into the database (what a copied file would weigh).
std::uintmax_t checkpointed_size(const std::string& path) {
  {
    sqlite::Database db(path, sqlite::Database::Mode::read_write);
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  return std::filesystem::file_size(path);
}

struct Latency {
  double p50_us = 0, p99_us = 0, max_us = 0;
};

Latency percentiles(std::vector<double> us) {
  std::sort(us.begin(), us.end());
  const auto at = [&](double q) { return us[static_cast<std::size_t>(q * static_cast<double>(us.size() - 1))]; };
  return {at(0.50), at(0.99), us.back()};
}

struct Result {
  std::string name;
  double seconds = 0;
  double bytes_per_reading = 0;
  Latency latency;
  std::uint64_t batches = 0;
};

Result bench_run_store(const std::string& path, const std::vector<StageReading>& log, bool synchronous_full,
                       std::uintmax_t empty_size) {
  std::vector<double> call_us;
  call_us.reserve(log.size());
  Result result;
  result.name = synchronous_full ? "RunStore batched, synchronous=FULL" : "RunStore batched, synchronous=NORMAL";
  {
    StoreOptions options;
    options.synchronous_full = synchronous_full;
    RunStore store(path, options);
    const RunId run = store.begin_run(bench_run_start());
    const auto start = SteadyClock::now();
    for (const auto& reading : log) {
      const auto before = SteadyClock::now();
      store.record(reading);
      call_us.push_back(std::chrono::duration<double, std::micro>(SteadyClock::now() - before).count());
    }
    store.flush();  // throughput counts until everything is committed
    result.seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
    result.batches = store.stats().batches_committed;
    store.end_run(run, RunStop{});
  }
  result.latency = percentiles(std::move(call_us));
  result.bytes_per_reading =
      static_cast<double>(checkpointed_size(path) - empty_size) / static_cast<double>(log.size());
  return result;
}

// The peer: what a poll loop writing directly would do, one autocommit INSERT per reading on the
// caller's thread, same schema, same prepared statement reuse (so only the batching differs).
Result bench_naive(const std::string& path, const std::vector<StageReading>& log, std::uintmax_t empty_size) {
  RunId run = 0;
  {
    RunStore store(path);
    run = store.begin_run(bench_run_start());
  }
  std::vector<double> call_us;
  call_us.reserve(log.size());
  Result result;
  result.name = "naive: one transaction per INSERT (NORMAL)";
  {
    sqlite::Database db(path, sqlite::Database::Mode::read_write);
    db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000");
    db.exec("INSERT OR IGNORE INTO stage_status (name) VALUES ('heating'), ('holding_limit')");
    auto insert = db.prepare(
        "INSERT INTO stage_readings (run_id, t_mono_ns, t_utc_ns, T_K, setpoint_K, rate_K_per_min, status_id, "
        "status_code, error_bits, pump_speed, pump_automatic, step_index) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
        "(SELECT id FROM stage_status WHERE name = ?7), ?8, ?9, ?10, ?11, ?12)");
    const auto start = SteadyClock::now();
    for (const auto& r : log) {
      const auto before = SteadyClock::now();
      insert.bind(1, run).bind(2, r.t_mono_ns).bind(3, r.t_utc_ns).bind(4, r.T_K).bind(5, r.setpoint_K);
      insert.bind(6, r.rate_K_per_min).bind(7, r.status).bind(8, r.status_code).bind(9, r.error_bits);
      insert.bind(10, r.pump_speed).bind(11, r.pump_automatic).bind(12, r.step_index).run();
      call_us.push_back(std::chrono::duration<double, std::micro>(SteadyClock::now() - before).count());
    }
    result.seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
    result.batches = log.size();
  }
  result.latency = percentiles(std::move(call_us));
  result.bytes_per_reading =
      static_cast<double>(checkpointed_size(path) - empty_size) / static_cast<double>(log.size());
  return result;
}

// Size of alternative layouts, filled in one transaction (layout, not commit strategy, decides size).
double bytes_per_reading_of_layout(const std::string& path, const std::string& create_sql, bool text_status,
                                   const std::vector<StageReading>& log) {
  {
    sqlite::Database db(path, sqlite::Database::Mode::read_write_create);
    db.exec("PRAGMA journal_mode = WAL");
    db.exec(create_sql);
  }
  const auto empty = checkpointed_size(path);
  {
    sqlite::Database db(path, sqlite::Database::Mode::read_write);
    auto insert = db.prepare(
        "INSERT INTO readings (run_id, t_mono_ns, t_utc_ns, T_K, setpoint_K, rate_K_per_min, status, status_code, "
        "error_bits, pump_speed, pump_automatic, step_index) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
    db.exec("BEGIN");
    for (const auto& r : log) {
      insert.bind(1, std::int64_t{1}).bind(2, r.t_mono_ns).bind(3, r.t_utc_ns).bind(4, r.T_K).bind(5, r.setpoint_K);
      insert.bind(6, r.rate_K_per_min);
      if (text_status) insert.bind(7, r.status);
      else insert.bind(7, std::int64_t{r.status == "heating" ? 1 : 2});
      insert.bind(8, r.status_code).bind(9, r.error_bits).bind(10, r.pump_speed).bind(11, r.pump_automatic);
      insert.bind(12, r.step_index).run();
    }
    db.exec("COMMIT");
  }
  return static_cast<double>(checkpointed_size(path) - empty) / static_cast<double>(log.size());
}

constexpr const char* kColumns =
    "run_id INTEGER NOT NULL, t_mono_ns INTEGER NOT NULL, t_utc_ns INTEGER NOT NULL, T_K REAL, setpoint_K REAL, "
    "rate_K_per_min REAL, status {}, status_code INTEGER, error_bits INTEGER, pump_speed INTEGER, "
    "pump_automatic INTEGER, step_index INTEGER";

}  // namespace

int main(int argc, char** argv) {
  const int readings = argc > 1 ? std::stoi(argv[1]) : 100'000;
  std::filesystem::path dir = argc > 2 ? std::filesystem::path(argv[2])
                                       : std::filesystem::temp_directory_path() /
                                             fmt::format("glasslab-bench-store-{}", ::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const auto log = synthetic_log(readings);

  // The size of a store holding only the schema and one run: subtracted from every figure.
  const auto empty_path = (dir / "empty.sqlite").string();
  {
    RunStore store(empty_path);
    store.begin_run(bench_run_start());
  }
  const auto empty_size = checkpointed_size(empty_path);

  std::vector<Result> results;
  results.push_back(bench_run_store((dir / "batched_normal.sqlite").string(), log, false, empty_size));
  results.push_back(bench_run_store((dir / "batched_full.sqlite").string(), log, true, empty_size));
  results.push_back(bench_naive((dir / "naive.sqlite").string(), log, empty_size));

  fmt::print("glasslab run store: {} stage readings (10 Hz log), file sizes after a WAL checkpoint\n\n", readings);
  fmt::print("{:<44} {:>10} {:>12} {:>9} {:>14} {:>14} {:>14}\n", "writer", "seconds", "readings/s", "commits",
             "bytes/reading", "call p50 us", "call p99 us");
  for (const auto& r : results) {
    fmt::print("{:<44} {:>10.3f} {:>12.0f} {:>9} {:>14.1f} {:>14.2f} {:>14.2f}   (max {:.0f} us)\n", r.name, r.seconds,
               readings / r.seconds, r.batches, r.bytes_per_reading, r.latency.p50_us, r.latency.p99_us,
               r.latency.max_us);
  }
  fmt::print("\nbatched (NORMAL) vs naive: {:.1f}x the throughput; the caller's p99 per record {:.2f} us vs {:.2f} us\n",
             results[2].seconds / results[0].seconds, results[0].latency.p99_us, results[2].latency.p99_us);

  fmt::print("\nlayout alternatives (bytes per reading, same {} readings):\n", readings);
  const auto index = std::string("; CREATE INDEX readings_by_run_time ON readings(run_id, t_mono_ns)");
  const double shipped = bytes_per_reading_of_layout(
      (dir / "layout_int.sqlite").string(),
      "CREATE TABLE readings (" + fmt::format(kColumns, "INTEGER") + ")" + index, false, log);
  const double text = bytes_per_reading_of_layout(
      (dir / "layout_text.sqlite").string(), "CREATE TABLE readings (" + fmt::format(kColumns, "TEXT") + ")" + index,
      true, log);
  const double without_rowid = bytes_per_reading_of_layout(
      (dir / "layout_worowid.sqlite").string(),
      "CREATE TABLE readings (" + fmt::format(kColumns, "INTEGER") +
          ", PRIMARY KEY (run_id, t_mono_ns)) WITHOUT ROWID",
      false, log);
  const double no_index = bytes_per_reading_of_layout(
      (dir / "layout_noindex.sqlite").string(), "CREATE TABLE readings (" + fmt::format(kColumns, "INTEGER") + ")",
      false, log);
  fmt::print("  {:<62} {:>7.1f}\n", "shipped: rowid table, interned status id, index (run_id, t_mono_ns)", shipped);
  fmt::print("  {:<62} {:>7.1f}\n", "status as text instead of an interned id", text);
  fmt::print("  {:<62} {:>7.1f}\n", "WITHOUT ROWID, PRIMARY KEY (run_id, t_mono_ns), no index", without_rowid);
  fmt::print("  {:<62} {:>7.1f}\n", "no index at all (per-run queries would scan the table)", no_index);
  fmt::print("\ntarget: < 200 bytes per stage reading -> {}\n",
             results[0].bytes_per_reading < 200 ? "met" : "NOT MET");

  std::filesystem::remove_all(dir);
  return 0;
}
