#pragma once
// The SQLite run store, read side (docs/database.md): its own read-only connection, so listing,
// loading and exporting never take the write lock and never block a run being recorded (WAL).
#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "acquisition/records.hpp"
#include "acquisition/store/csv_export.hpp"

namespace glasslab::acquisition {

namespace sqlite {
class Database;
}

struct RunInfo {
  RunId id = 0;
  std::string schedule_path;
  std::string schedule_text;
  std::string sample_json;
  std::string configuration_json;
  std::string operator_name;
  std::string software_version;
  std::string start_utc;  ///< ISO-8601, microseconds, Z
  std::int64_t start_utc_ns = 0;
  std::int64_t start_mono_ns = 0;
  std::optional<std::string> stop_utc;
  std::optional<std::int64_t> stop_utc_ns;
  std::optional<std::int64_t> stop_mono_ns;
  std::string exit_status;  ///< 'running', 'success', 'aborted', 'failed', 'interrupted'
  std::string exit_reason;
  int writer_pid = 0;
  std::optional<std::string> checkpoint_json;
  std::optional<std::string> checkpoint_utc;

  /// Experiment seconds from start to stop; nullopt while running.
  std::optional<double> duration_s() const;
};

struct RunSummary {
  RunInfo run;
  std::int64_t stage_readings = 0;
  std::int64_t frames = 0;
  std::int64_t dma_points = 0;
  std::int64_t events = 0;
};

struct AnalysisResult {
  std::int64_t id = 0;
  RunId run_id = 0;
  std::string kind;
  std::string name;
  std::string json;
  std::string created_utc;
};

class RunReader {
public:
  /// Opens read-only. Throws StoreError when the file is missing or not a glasslab store.
  explicit RunReader(const std::string& db_path);
  ~RunReader();
  RunReader(const RunReader&) = delete;
  RunReader& operator=(const RunReader&) = delete;

  const std::string& path() const noexcept;

  /// Every run, oldest first, with the number of records per stream.
  std::vector<RunSummary> list_runs();
  std::optional<RunInfo> find_run(RunId run);
  /// Throws UsageError naming the run id and the database when there is no such run.
  RunInfo run(RunId run);

  // Whole streams of one run in time (frames: index) order; empty for a run without records.
  // REAL columns stored as NULL (SQLite's NaN) load as NaN.
  std::vector<StageReading> stage_readings(RunId run);
  std::vector<Event> events(RunId run);
  std::vector<FrameRecord> frames(RunId run);
  std::vector<DmaPoint> dma_points(RunId run);
  std::vector<FrameAnalysis> frame_analysis(RunId run);
  std::vector<AnalysisResult> analysis_results(RunId run);

  /// Writes one stream of a run as CSV (headers in docs/database.md, "CSV export"), streaming
  /// rows from SQLite. Throws UsageError for an unknown run.
  void export_csv(RunId run, Stream stream, std::ostream& out);

  /// The read-only connection, for queries this class does not offer.
  sqlite::Database& database();

private:
  std::unique_ptr<sqlite::Database> db_;
};

}  // namespace glasslab::acquisition
