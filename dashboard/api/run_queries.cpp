#include "dashboard/api/run_queries.hpp"

#include <chrono>
#include <cmath>
#include <functional>
#include <sstream>

#include <fmt/format.h>

#include "acquisition/store/schema.hpp"
#include "acquisition/store/sqlite.hpp"
#include "core/clock.hpp"
#include "dashboard/api/derived_series.hpp"
#include "dashboard/api/downsample.hpp"

namespace glasslab::dashboard {

namespace {

using acquisition::sqlite::Database;
using acquisition::sqlite::Statement;

nlohmann::json parse_or_text(const std::string& text) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception&) {
    return text;  // stored as given: show it rather than hide it
  }
}

/// The schedule's `title = "..."` from its TOML text, without a TOML parser: the dashboard only
/// labels runs with it.
std::string schedule_title(const std::string& schedule_text) {
  std::istringstream lines(schedule_text);
  std::string line;
  while (std::getline(lines, line)) {
    const auto start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line.compare(start, 5, "title") != 0) continue;
    const auto open = line.find('"', start);
    const auto close = open == std::string::npos ? open : line.find('"', open + 1);
    if (close != std::string::npos) return line.substr(open + 1, close - open - 1);
  }
  return {};
}

std::string sample_name(const std::string& sample_json) {
  const auto sample = parse_or_text(sample_json);
  if (sample.is_object() && sample.contains("name") && sample["name"].is_string()) return sample["name"];
  return {};
}

std::int64_t wall_utc_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// "WHERE run_id = ?1 AND rowid > ?2" for a stream. From the start (after = 0) the (run_id, time)
/// index finds the run's rows; after that, the unary + keeps SQLite off that index so it walks the
/// table from the cursor's rowid: a live poll then reads only the rows that are new, not the
/// whole run again.
std::string stream_filter(std::int64_t after_rowid) {
  return after_rowid == 0 ? "run_id = ?1 AND rowid > ?2" : "+run_id = ?1 AND rowid > ?2";
}

nlohmann::json number_or_null(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }

/// A REAL column as a number, or null for SQLite's NULL (a NaN when it was recorded).
nlohmann::json real(const Statement& row, int column) {
  return number_or_null(row.column_optional_double(column).value_or(NAN));
}

/// One page of a stream: "SELECT rowid, <columns_from> WHERE <run, after> ORDER BY rowid LIMIT",
/// each row turned into JSON by `to_json` (its column 0 is the rowid), and the last rowid.
nlohmann::json rows_after(Database& db, std::string_view columns_from, RunId run, std::int64_t after_rowid, int limit,
                          const std::function<nlohmann::json(const Statement&)>& to_json) {
  auto select = db.prepare(
      fmt::format("SELECT rowid, {} WHERE {} ORDER BY rowid LIMIT ?3", columns_from, stream_filter(after_rowid)));
  select.bind(1, run).bind(2, after_rowid).bind(3, limit);
  nlohmann::json rows = nlohmann::json::array();
  std::int64_t last = after_rowid;
  while (select.step()) {
    last = select.column_int(0);
    rows.push_back(to_json(select));
  }
  return {{"rows", rows}, {"last", last}};
}

/// Wall-clock milliseconds of the run's start: a dry run's experiment clock runs `speed` times
/// faster than the wall, from the origin stored in its configuration (cmd_run.cpp).
double start_wall_ms(const nlohmann::json& configuration, std::int64_t start_utc_ns) {
  const double speed = configuration.is_object() ? configuration.value("speed", 1.0) : 1.0;
  if (!configuration.is_object() || !configuration.contains("clock_utc_origin_ns") || speed <= 0)
    return static_cast<double>(start_utc_ns) * 1e-6;
  const auto origin = configuration["clock_utc_origin_ns"].get<std::int64_t>();
  return (static_cast<double>(origin) + static_cast<double>(start_utc_ns - origin) / speed) * 1e-6;
}

}  // namespace

RunQueries::RunQueries(const std::string& db_path)
    : db_(std::make_unique<Database>(db_path, Database::Mode::read_only)) {
  acquisition::schema::check_readable(*db_);
  db_->exec("PRAGMA busy_timeout = 2000");
  has_control_tables_ = db_->query_int("SELECT COUNT(*) FROM sqlite_schema WHERE name = 'run_control'") > 0;
}

RunQueries::~RunQueries() = default;

nlohmann::json RunQueries::list_runs() {
  auto select = db_->prepare(fmt::format(
      "SELECT r.id, r.start_utc, r.stop_utc, r.exit_status, r.exit_reason, (r.stop_mono_ns - r.start_mono_ns) / 1e9, "
      "r.schedule_path, r.schedule_text, r.sample_json, r.operator, "
      "(SELECT COUNT(*) FROM stage_readings s WHERE s.run_id = r.id), "
      "(SELECT COUNT(*) FROM frames f WHERE f.run_id = r.id), "
      "(SELECT COUNT(*) FROM dma_points d WHERE d.run_id = r.id), {} "
      "FROM runs r ORDER BY r.id DESC",
      has_control_tables_ ? "(SELECT CASE WHEN r.exit_status = 'running' THEN c.state ELSE 'ended' END "
                            "FROM run_control c WHERE c.run_id = r.id)"
                          : "NULL"));
  nlohmann::json runs = nlohmann::json::array();
  while (select.step()) {
    const auto duration = select.column_optional_double(5);
    runs.push_back({{"id", select.column_int(0)},
                    {"start_utc", select.column_text(1)},
                    {"stop_utc", select.column_optional_text(2).value_or("")},
                    {"exit_status", select.column_text(3)},
                    {"exit_reason", select.column_text(4)},
                    {"duration_s", duration ? nlohmann::json(*duration) : nlohmann::json()},
                    {"schedule_path", select.column_text(6)},
                    {"title", schedule_title(select.column_text(7))},
                    {"sample", sample_name(select.column_text(8))},
                    {"operator", select.column_text(9)},
                    {"stage_readings", select.column_int(10)},
                    {"frames", select.column_int(11)},
                    {"dma_points", select.column_int(12)},
                    {"control_state", select.column_optional_text(13).value_or("")}});
  }
  return runs;
}

std::optional<std::string> RunQueries::exit_status(RunId run) {
  auto select = db_->prepare("SELECT exit_status FROM runs WHERE id = ?1");
  select.bind(1, run);
  if (!select.step()) return std::nullopt;
  return select.column_text(0);
}

std::optional<nlohmann::json> RunQueries::run_detail(RunId run) {
  auto select = db_->prepare(
      "SELECT id, start_utc, start_utc_ns, start_mono_ns, stop_utc, stop_mono_ns, exit_status, exit_reason, "
      "schedule_path, schedule_text, sample_json, configuration_json, operator, software_version FROM runs WHERE id = ?1");
  select.bind(1, run);
  if (!select.step()) return std::nullopt;
  const auto configuration = parse_or_text(select.column_text(11));
  const auto stop_mono = select.column_optional_int(5);
  const std::int64_t start_mono = select.column_int(3);
  nlohmann::json detail{
      {"id", select.column_int(0)},
      {"start_utc", select.column_text(1)},
      {"start_utc_ns", select.column_int(2)},
      {"stop_utc", select.column_optional_text(4).value_or("")},
      {"duration_s", stop_mono ? nlohmann::json((*stop_mono - start_mono) * 1e-9) : nlohmann::json()},
      {"exit_status", select.column_text(6)},
      {"exit_reason", select.column_text(7)},
      {"schedule_path", select.column_text(8)},
      {"schedule_text", select.column_text(9)},
      {"title", schedule_title(select.column_text(9))},
      {"sample", parse_or_text(select.column_text(10))},
      {"configuration", configuration},
      {"operator", select.column_text(12)},
      {"software_version", select.column_text(13)},
      {"speed", configuration.is_object() ? configuration.value("speed", 1.0) : 1.0},
      {"start_wall_ms", start_wall_ms(configuration, select.column_int(2))}};
  detail["control"] = control_status(run);
  return detail;
}

nlohmann::json RunQueries::control_status(RunId run) {
  if (!has_control_tables_) return {{"available", false}};
  // A run whose process died keeps its last state here; its exit status says it has ended.
  auto select = db_->prepare(
      "SELECT CASE WHEN r.exit_status = 'running' THEN c.state ELSE 'ended' END, c.status_json, c.status_utc_ns "
      "FROM run_control c JOIN runs r ON r.id = c.run_id WHERE c.run_id = ?1");
  select.bind(1, run);
  if (!select.step()) return {{"available", false}};
  return {{"available", true},
          {"state", select.column_text(0)},
          {"status", parse_or_text(select.column_text(1))},
          {"status_age_s", static_cast<double>(wall_utc_ns() - select.column_int(2)) * 1e-9}};
}

std::int64_t RunQueries::start_mono_ns(RunId run) {
  auto select = db_->prepare("SELECT start_mono_ns FROM runs WHERE id = ?1");
  select.bind(1, run);
  return select.step() ? select.column_int(0) : 0;
}

nlohmann::json RunQueries::events_after(RunId run, std::int64_t after_rowid, int limit) {
  const std::int64_t start = start_mono_ns(run);
  return rows_after(*db_, "t_mono_ns, t_utc_ns, level, source, kind, message FROM events", run, after_rowid, limit,
                    [start](const Statement& e) -> nlohmann::json {
                      return {{"id", e.column_int(0)},
                              {"t_s", (e.column_int(1) - start) * 1e-9},
                              {"t_utc", format_utc(e.column_int(2))},
                              {"level", e.column_text(3)},
                              {"source", e.column_text(4)},
                              {"kind", e.column_text(5)},
                              {"message", e.column_text(6)}};
                    });
}

nlohmann::json RunQueries::stage_series(RunId run, std::size_t buckets, bool all) {
  const std::int64_t start = start_mono_ns(run);
  // The run's first and last readings by time, from the (run_id, t_mono_ns) index: no COUNT(*) or
  // MAX(rowid), which would walk all of a long run's index entries first.
  auto ends = db_->prepare(
      "SELECT rowid, t_mono_ns FROM (SELECT rowid, t_mono_ns FROM stage_readings WHERE run_id = ?1 ORDER BY t_mono_ns "
      "LIMIT 1) UNION ALL SELECT rowid, t_mono_ns FROM (SELECT rowid, t_mono_ns FROM stage_readings WHERE run_id = ?1 "
      "ORDER BY t_mono_ns DESC LIMIT 1)");
  ends.bind(1, run);
  std::int64_t first = 0, last = 0;
  double t_lo = 0, t_hi = 0;
  if (ends.step()) first = ends.column_int(0), t_lo = (ends.column_int(1) - start) * 1e-9;
  if (ends.step()) last = ends.column_int(0), t_hi = (ends.column_int(1) - start) * 1e-9;
  // One writer records a run's readings in time order, so its rows lie in rowid order between
  // the first and the last: a sequential walk of the table, about twice as fast as by the index.
  // Rows after `last` (committed meanwhile) are the live socket's.
  auto select = db_->prepare(
      "SELECT t_mono_ns, T_K, setpoint_K FROM stage_readings WHERE rowid BETWEEN ?2 AND ?3 AND +run_id = ?1 "
      "ORDER BY rowid");
  select.bind(1, run).bind(2, first).bind(3, last);
  MinMaxDownsampler sampler(t_lo, t_hi, buckets);
  XYSeries series;  // every reading, until there are too many to send
  bool downsample = false;
  std::int64_t count = 0;
  while (select.step()) {
    ++count;
    const double t = (select.column_int(0) - start) * 1e-9;
    const double T = select.column_optional_double(1).value_or(NAN);
    const double setpoint = select.column_optional_double(2).value_or(NAN);
    if (!all) sampler.add(t, T, setpoint);
    if (!downsample) series.x.push_back(t), series.y.push_back(T), series.y2.push_back(setpoint);
    if (!all && !downsample && series.x.size() > 2 * buckets) {
      downsample = true;
      series = {};
    }
  }
  if (downsample) series = sampler.finish();
  nlohmann::json T_json = nlohmann::json::array(), setpoint_json = nlohmann::json::array();
  for (std::size_t i = 0; i < series.x.size(); ++i) {
    T_json.push_back(number_or_null(series.y[i]));
    setpoint_json.push_back(number_or_null(series.y2[i]));
  }
  return {{"t_s", series.x},  {"T_K", T_json},           {"setpoint_K", setpoint_json},
          {"readings", count}, {"downsampled", downsample}, {"last", last}};
}

nlohmann::json RunQueries::stage_after(RunId run, std::int64_t after_rowid, int limit) {
  const std::int64_t start = start_mono_ns(run);
  return rows_after(*db_, "t_mono_ns, T_K, setpoint_K FROM stage_readings", run, after_rowid, limit,
                    [start](const Statement& r) -> nlohmann::json {
                      return {(r.column_int(1) - start) * 1e-9, real(r, 2), real(r, 3)};
                    });
}

nlohmann::json RunQueries::dma_after(RunId run, std::int64_t after_rowid, int limit) {
  const std::int64_t start = start_mono_ns(run);
  return rows_after(
      *db_,
      "t_mono_ns, T_K, frequency_Hz, tan_delta, storage_modulus_Pa, loss_modulus_Pa, sweep FROM dma_points", run,
      after_rowid, limit, [start](const Statement& p) -> nlohmann::json {
        return {(p.column_int(1) - start) * 1e-9, real(p, 2), real(p, 3), real(p, 4), real(p, 5), real(p, 6),
                p.column_text(7)};
      });
}

std::int64_t RunQueries::seq_version(RunId run) {
  auto select = db_->prepare("SELECT COALESCE(MAX(rowid), 0) FROM frame_analysis WHERE run_id = ?1");
  select.bind(1, run);
  select.step();
  return select.column_int(0);
}

std::int64_t RunQueries::fits_version(RunId run) {
  auto select = db_->prepare("SELECT COALESCE(MAX(id), 0) FROM analysis_results WHERE run_id = ?1");
  select.bind(1, run);
  select.step();
  return select.column_int(0);
}

nlohmann::json RunQueries::seq(RunId run) {
  const std::int64_t start = start_mono_ns(run);
  std::optional<double> molar_mass;
  {
    auto sample = db_->prepare("SELECT sample_json FROM runs WHERE id = ?1");
    sample.bind(1, run);
    if (sample.step()) {
      const auto j = parse_or_text(sample.column_text(0));
      if (j.is_object() && j.contains("molar_mass_g_per_mol") && j["molar_mass_g_per_mol"].is_number() &&
          j["molar_mass_g_per_mol"].get<double>() > 0)
        molar_mass = j["molar_mass_g_per_mol"].get<double>();
    }
  }
  auto select = db_->prepare(
      "SELECT a.frame_index, f.step_index, f.T_mid_K, (f.t_start_mono_ns + f.t_end_mono_ns) / 2, a.seq_kB_per_atom, "
      "a.seq_J_per_mol_K FROM frame_analysis a JOIN frames f ON f.run_id = a.run_id AND f.frame_index = a.frame_index "
      "WHERE a.run_id = ?1 AND a.status = 'ok' AND f.T_mid_K IS NOT NULL AND a.seq_kB_per_atom IS NOT NULL "
      "ORDER BY a.frame_index");
  select.bind(1, run);
  std::vector<SeqFrame> frames;
  while (select.step())
    frames.push_back({static_cast<int>(select.column_int(0)), static_cast<int>(select.column_int(1)),
                      select.column_double(2), (select.column_int(3) - start) * 1e-9, select.column_double(4),
                      select.column_optional_double(5).value_or(NAN)});
  nlohmann::json out = seq_with_heat_flow(frames, molar_mass);
  out["version"] = seq_version(run);
  return out;
}

nlohmann::json RunQueries::arrhenius(RunId run) {
  // The live fit of each sweep (dma_fit), or, once `glasslab analyze` has run, its refit (dma_fits).
  auto select = db_->prepare(
      "SELECT kind, json FROM analysis_results WHERE run_id = ?1 AND kind IN ('dma_fit', 'dma_fits') ORDER BY id");
  select.bind(1, run);
  std::vector<nlohmann::json> live, refit;
  while (select.step()) {
    auto j = parse_or_text(select.column_text(1));
    if (j.is_object()) (select.column_text(0) == "dma_fits" ? refit : live).push_back(std::move(j));
  }
  nlohmann::json out = arrhenius_from_fits(refit.empty() ? live : refit);
  out["version"] = fits_version(run);
  return out;
}

}  // namespace glasslab::dashboard
