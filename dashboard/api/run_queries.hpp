#pragma once
// The dashboard's read side (docs/dashboard.md, "HTTP API"): JSON for the page straight from the
// run store, over one read-only connection (WAL: never blocks the run's writer). Not thread-safe:
// each worker thread of the server owns one.
//
// Stream rows are addressed by SQLite rowid, which grows with every insert: a page loads a
// stream, remembers the last rowid, and the live socket sends what came after it.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "acquisition/records.hpp"

namespace glasslab::acquisition::sqlite {
class Database;
}

namespace glasslab::dashboard {

using acquisition::RunId;

class RunQueries {
public:
  /// Throws StoreError when the file is missing or not a glasslab store.
  explicit RunQueries(const std::string& db_path);
  ~RunQueries();

  /// Every run, newest first: id, times, status, title, sample, counts, control state.
  nlohmann::json list_runs();
  /// Metadata, schedule, configuration, clock and control of one run; nullopt when unknown.
  std::optional<nlohmann::json> run_detail(RunId run);
  /// {available, state, status (the run's live status), status_age_s}.
  nlohmann::json control_status(RunId run);
  /// The run's exit status ('running', 'success', ...); nullopt when unknown.
  std::optional<std::string> exit_status(RunId run);

  /// Events with rowid > after, oldest first, at most `limit`.
  nlohmann::json events_after(RunId run, std::int64_t after_rowid, int limit);
  /// Stage T and setpoint against time (seconds since the run's start), min/max-downsampled to
  /// `buckets` buckets when there are more than 2 x buckets readings; `all` sends every reading
  /// (the peer of the benchmark). Includes the last rowid for the live socket.
  nlohmann::json stage_series(RunId run, std::size_t buckets, bool all = false);
  /// Readings with rowid > after, oldest first, at most `limit`: rows [t_s, T_K, setpoint_K].
  nlohmann::json stage_after(RunId run, std::int64_t after_rowid, int limit);
  /// DMA points with rowid > after: rows [t_s, T_K, frequency_Hz, tan_delta, storage_Pa, loss_Pa, sweep].
  nlohmann::json dma_after(RunId run, std::int64_t after_rowid, int limit);
  /// Seq of every analysed frame, and the heat flow of the heating ramp's frames when there are
  /// enough of them (analysis::analyze_seq_series); `version` changes whenever a result is added.
  nlohmann::json seq(RunId run);
  /// Arrhenius points and lines of every relaxation fitted so far (results "dma_fit", "dma_fits").
  nlohmann::json arrhenius(RunId run);

  /// Change markers for the live socket: largest rowid of frame_analysis and analysis_results of the run.
  std::int64_t seq_version(RunId run);
  std::int64_t fits_version(RunId run);

private:
  std::int64_t start_mono_ns(RunId run);

  std::unique_ptr<acquisition::sqlite::Database> db_;
  bool has_control_tables_ = false;
};

}  // namespace glasslab::dashboard
