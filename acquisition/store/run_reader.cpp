#include "acquisition/store/run_reader.hpp"

#include <filesystem>
#include <limits>

#include <fmt/format.h>

#include "acquisition/store/schema.hpp"
#include "acquisition/store/sqlite.hpp"
#include "core/error.hpp"

namespace glasslab::acquisition {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double real_or_nan(const sqlite::Statement& row, int column) { return row.column_optional_double(column).value_or(kNaN); }

EventLevel parse_level(const std::string& text) {
  if (text == "debug") return EventLevel::debug;
  if (text == "warning") return EventLevel::warning;
  if (text == "error") return EventLevel::error;
  return EventLevel::info;
}

constexpr std::string_view kRunColumns =
    "id, schedule_path, schedule_text, sample_json, configuration_json, operator, software_version, start_utc, "
    "start_utc_ns, start_mono_ns, stop_utc, stop_utc_ns, stop_mono_ns, exit_status, exit_reason, writer_pid, "
    "checkpoint_json, checkpoint_utc";

RunInfo run_from_row(const sqlite::Statement& row) {
  RunInfo r;
  r.id = row.column_int(0);
  r.schedule_path = row.column_text(1);
  r.schedule_text = row.column_text(2);
  r.sample_json = row.column_text(3);
  r.configuration_json = row.column_text(4);
  r.operator_name = row.column_text(5);
  r.software_version = row.column_text(6);
  r.start_utc = row.column_text(7);
  r.start_utc_ns = row.column_int(8);
  r.start_mono_ns = row.column_int(9);
  r.stop_utc = row.column_optional_text(10);
  r.stop_utc_ns = row.column_optional_int(11);
  r.stop_mono_ns = row.column_optional_int(12);
  r.exit_status = row.column_text(13);
  r.exit_reason = row.column_text(14);
  r.writer_pid = static_cast<int>(row.column_int(15));
  r.checkpoint_json = row.column_optional_text(16);
  r.checkpoint_utc = row.column_optional_text(17);
  return r;
}

}  // namespace

std::optional<double> RunInfo::duration_s() const {
  if (!stop_mono_ns) return std::nullopt;
  return static_cast<double>(*stop_mono_ns - start_mono_ns) * 1e-9;
}

RunReader::RunReader(const std::string& db_path) {
  if (!std::filesystem::exists(db_path)) {
    throw StoreError(fmt::format("no database at {} (record a run first, or pass --db)", db_path));
  }
  db_ = std::make_unique<sqlite::Database>(db_path, sqlite::Database::Mode::read_only);
  // A reader waits briefly for a writer's checkpoint or recovery; it never holds the write lock.
  db_->exec("PRAGMA busy_timeout = 5000");
  schema::check_readable(*db_);
}

RunReader::~RunReader() = default;

const std::string& RunReader::path() const noexcept { return db_->path(); }
sqlite::Database& RunReader::database() { return *db_; }

std::vector<RunSummary> RunReader::list_runs() {
  // Counts use each stream's (run_id, ...) index: a range count, not a table scan.
  auto query = db_->prepare(fmt::format(
      "SELECT {}, (SELECT COUNT(*) FROM stage_readings s WHERE s.run_id = runs.id), "
      "(SELECT COUNT(*) FROM frames f WHERE f.run_id = runs.id), "
      "(SELECT COUNT(*) FROM dma_points d WHERE d.run_id = runs.id), "
      "(SELECT COUNT(*) FROM events e WHERE e.run_id = runs.id) FROM runs ORDER BY id",
      kRunColumns));
  std::vector<RunSummary> runs;
  while (query.step()) {
    RunSummary summary;
    summary.run = run_from_row(query);
    summary.stage_readings = query.column_int(18);
    summary.frames = query.column_int(19);
    summary.dma_points = query.column_int(20);
    summary.events = query.column_int(21);
    runs.push_back(std::move(summary));
  }
  return runs;
}

std::optional<RunInfo> RunReader::find_run(RunId run) {
  auto query = db_->prepare(fmt::format("SELECT {} FROM runs WHERE id = ?1", kRunColumns));
  query.bind(1, run);
  if (!query.step()) return std::nullopt;
  return run_from_row(query);
}

RunInfo RunReader::run(RunId run) {
  if (auto found = find_run(run)) return *found;
  throw UsageError(fmt::format("no run {} in {} (glasslab runs --db {} lists the runs)", run, path(), path()));
}

std::vector<StageReading> RunReader::stage_readings(RunId run) {
  auto query = db_->prepare(
      "SELECT s.t_mono_ns, s.t_utc_ns, s.T_K, s.setpoint_K, s.rate_K_per_min, s.status_code, st.name, s.error_bits, "
      "s.pump_speed, s.pump_automatic, s.step_index FROM stage_readings s JOIN stage_status st ON st.id = s.status_id "
      "WHERE s.run_id = ?1 ORDER BY s.t_mono_ns");
  query.bind(1, run);
  std::vector<StageReading> readings;
  while (query.step()) {
    StageReading r;
    r.t_mono_ns = query.column_int(0);
    r.t_utc_ns = query.column_int(1);
    r.T_K = real_or_nan(query, 2);
    r.setpoint_K = real_or_nan(query, 3);
    r.rate_K_per_min = real_or_nan(query, 4);
    r.status_code = static_cast<int>(query.column_int(5));
    r.status = query.column_text(6);
    r.error_bits = static_cast<int>(query.column_int(7));
    r.pump_speed = static_cast<int>(query.column_int(8));
    r.pump_automatic = query.column_int(9) != 0;
    r.step_index = static_cast<int>(query.column_int(10));
    readings.push_back(std::move(r));
  }
  return readings;
}

std::vector<Event> RunReader::events(RunId run) {
  auto query = db_->prepare(
      "SELECT t_mono_ns, t_utc_ns, level, source, kind, message FROM events WHERE run_id = ?1 ORDER BY t_mono_ns");
  query.bind(1, run);
  std::vector<Event> events;
  while (query.step()) {
    Event e;
    e.t_mono_ns = query.column_int(0);
    e.t_utc_ns = query.column_int(1);
    e.level = parse_level(query.column_text(2));
    e.source = query.column_text(3);
    e.kind = query.column_text(4);
    e.message = query.column_text(5);
    events.push_back(std::move(e));
  }
  return events;
}

std::vector<FrameRecord> RunReader::frames(RunId run) {
  auto query = db_->prepare(
      "SELECT frame_index, trigger_mono_ns, t_start_mono_ns, t_end_mono_ns, t_start_utc_ns, t_end_utc_ns, "
      "start_source, T_start_K, T_mid_K, T_end_K, file, status, reason, step_index FROM frames WHERE run_id = ?1 "
      "ORDER BY frame_index");
  query.bind(1, run);
  std::vector<FrameRecord> frames;
  while (query.step()) {
    FrameRecord f;
    f.index = static_cast<int>(query.column_int(0));
    f.trigger_mono_ns = query.column_int(1);
    f.t_start_mono_ns = query.column_int(2);
    f.t_end_mono_ns = query.column_int(3);
    f.t_start_utc_ns = query.column_int(4);
    f.t_end_utc_ns = query.column_int(5);
    f.start_source = query.column_text(6);
    f.T_start_K = query.column_optional_double(7);
    f.T_mid_K = query.column_optional_double(8);
    f.T_end_K = query.column_optional_double(9);
    f.file = query.column_text(10);
    f.status = query.column_text(11);
    f.reason = query.column_text(12);
    f.step_index = static_cast<int>(query.column_int(13));
    frames.push_back(std::move(f));
  }
  return frames;
}

std::vector<DmaPoint> RunReader::dma_points(RunId run) {
  auto query = db_->prepare(
      "SELECT t_mono_ns, t_utc_ns, instrument_index, sweep, T_K, frequency_Hz, storage_modulus_Pa, loss_modulus_Pa, "
      "tan_delta, strain_pct, force_N, torque_Nm, mode, step_index FROM dma_points WHERE run_id = ?1 "
      "ORDER BY t_mono_ns");
  query.bind(1, run);
  std::vector<DmaPoint> points;
  while (query.step()) {
    DmaPoint p;
    p.t_mono_ns = query.column_int(0);
    p.t_utc_ns = query.column_int(1);
    p.instrument_index = query.column_int(2);
    p.sweep = query.column_text(3);
    p.T_K = real_or_nan(query, 4);
    p.frequency_Hz = real_or_nan(query, 5);
    p.storage_modulus_Pa = real_or_nan(query, 6);
    p.loss_modulus_Pa = real_or_nan(query, 7);
    p.tan_delta = real_or_nan(query, 8);
    p.strain_pct = real_or_nan(query, 9);
    p.force_N = real_or_nan(query, 10);
    p.torque_Nm = real_or_nan(query, 11);
    p.mode = query.column_text(12);
    p.step_index = static_cast<int>(query.column_int(13));
    points.push_back(std::move(p));
  }
  return points;
}

std::vector<FrameAnalysis> RunReader::frame_analysis(RunId run) {
  auto query = db_->prepare(
      "SELECT run_id, frame_index, rho0_per_A3, rho0_fitted, r_min_A, r_max_A, seq_kB_per_atom, seq_J_per_mol_K, "
      "status, reason, analyzed_utc_ns FROM frame_analysis WHERE run_id = ?1 ORDER BY frame_index");
  query.bind(1, run);
  std::vector<FrameAnalysis> results;
  while (query.step()) {
    FrameAnalysis a;
    a.run_id = query.column_int(0);
    a.frame_index = static_cast<int>(query.column_int(1));
    a.rho0_per_A3 = query.column_optional_double(2);
    a.rho0_fitted = query.column_int(3) != 0;
    a.r_min_A = query.column_optional_double(4);
    a.r_max_A = real_or_nan(query, 5);
    a.seq_kB_per_atom = query.column_optional_double(6);
    a.seq_J_per_mol_K = query.column_optional_double(7);
    a.status = query.column_text(8);
    a.reason = query.column_text(9);
    a.analyzed_utc_ns = query.column_int(10);
    results.push_back(std::move(a));
  }
  return results;
}

std::vector<AnalysisResult> RunReader::analysis_results(RunId run) {
  auto query = db_->prepare(
      "SELECT id, run_id, kind, name, json, created_utc FROM analysis_results WHERE run_id = ?1 ORDER BY id");
  query.bind(1, run);
  std::vector<AnalysisResult> results;
  while (query.step()) {
    results.push_back({query.column_int(0), query.column_int(1), query.column_text(2), query.column_text(3),
                       query.column_text(4), query.column_text(5)});
  }
  return results;
}

void RunReader::export_csv(RunId run, Stream stream, std::ostream& out) {
  (void)this->run(run);  // unknown run: UsageError naming it and the database
  write_csv(*db_, run, stream, out);
}

}  // namespace glasslab::acquisition
