#pragma once
// The SQLite run store, write side (docs/database.md). Callers only push records into a queue; one
// writer thread owns the connection and commits them in short batched transactions (BEGIN
// IMMEDIATE ... COMMIT every batch_max_rows records or batch_max_age, whichever comes first), with
// prepared statements reused. Nothing a poll loop calls waits on the disk. WAL mode: readers
// (sqlite3 shell, pandas, RunReader) never block the writer, and a crash loses at most the batch
// being assembled, never the file.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "acquisition/recorder.hpp"
#include "acquisition/records.hpp"

namespace glasslab::acquisition {

struct StoreOptions {
  int batch_max_rows = 500;                         ///< commit when this many records are queued
  std::chrono::milliseconds batch_max_age{200};     ///< ... or when the oldest has waited this long
  bool synchronous_full = false;                    ///< fsync every commit: survives power loss too
  int busy_timeout_ms = 5000;                       ///< wait for another process's write lock
  long long max_size_bytes = 0;                     ///< 0: unlimited; else a cap (writes fail as SQLITE_FULL)
};

/// Counters of the writer, for benchmarks, tests and the end-of-run summary.
struct StoreStats {
  std::uint64_t records_queued = 0;     ///< records accepted by record*()
  std::uint64_t records_committed = 0;  ///< records in committed transactions
  std::uint64_t records_dropped = 0;    ///< records discarded after a writer error
  std::uint64_t batches_committed = 0;  ///< transactions committed
  std::size_t max_queue_depth = 0;      ///< the longest the queue has been
};

class RunStore final : public Recorder {
public:
  /// Creates the parent directories and the file if missing, switches to WAL, migrates the schema,
  /// marks runs of dead writers as interrupted, and starts the writer thread. Throws StoreError.
  explicit RunStore(const std::string& db_path, StoreOptions options = {});
  /// Commits everything queued, joins the writer. Never throws. Does not close an open run (the
  /// engine does that); a run left open is marked interrupted once this process has exited.
  ~RunStore() override;
  RunStore(const RunStore&) = delete;
  RunStore& operator=(const RunStore&) = delete;

  const std::string& path() const noexcept;

  /// Inserts the run row (status 'running') and makes it the run that record() writes to.
  /// Synchronous: returns once committed. Throws StoreError after a writer error.
  RunId begin_run(const RunStart& start);
  /// Commits every record queued before it, then closes the run with its exit status. Throws
  /// UsageError for an unknown run; a write failure is reported through writer_error() instead.
  void end_run(RunId run, const RunStop& stop);
  /// Reopens a closed or interrupted run for `glasslab resume`: status back to 'running', this
  /// process as its writer, and the run becomes the target of record(). Throws UsageError for an
  /// unknown run or one whose writer is still alive.
  void resume_run(RunId run);

  // Queue only; they never wait on the disk. They write to the run most recently begun (or
  // resumed) by this store; calling them before any begin_run() throws UsageError. After a writer
  // error they drop the record (counted in stats().records_dropped).
  void record(const StageReading& reading) override;
  void record(const Event& event) override;
  void record(const FrameRecord& frame) override;
  void record(const DmaPoint& point) override;
  /// A frame's Seq result; run_id 0 means the active run. Replaces an earlier result of that frame.
  void record_frame_analysis(const FrameAnalysis& analysis);
  /// A derived result (e.g. kind "dma_arrhenius", name "beta") as JSON, stamped with the UTC now.
  void record_analysis_result(RunId run, std::string kind, std::string name, std::string json);
  /// Where a resumed run may continue from (JSON defined by the engine); written in queue order.
  void save_checkpoint(RunId run, std::string checkpoint_json);

  /// Blocks until everything queued before the call is committed (or the writer has failed).
  void flush();

  /// Why the writer stopped (e.g. "... SQLITE_FULL (database or disk is full)"), or nullopt.
  std::optional<std::string> writer_error() const;
  /// Called once, from the writer thread, when the writer stops on an error.
  void set_on_writer_error(std::function<void(const std::string&)> callback);

  RunId active_run() const noexcept;
  StoreStats stats() const;

  /// Marks runs still 'running' whose writer process is gone as 'interrupted' (stop time: the
  /// run's last record). Returns how many. Opens its own read-write connection; throws StoreError.
  static int mark_interrupted_runs(const std::string& db_path);

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace glasslab::acquisition
