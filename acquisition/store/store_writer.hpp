#pragma once
// The SQL side of the RunStore writer (internal): the prepared INSERT/UPDATE statements, reused
// for every record, and the run lifecycle updates. Used by one thread only (the writer thread).
#include <cstdint>
#include <string>
#include <unordered_map>

#include "acquisition/records.hpp"
#include "acquisition/store/process_identity.hpp"
#include "acquisition/store/sqlite.hpp"

namespace glasslab::acquisition::detail {

class StoreWriter {
public:
  StoreWriter(sqlite::Database& db, ProcessIdentity self);

  /// BEGIN IMMEDIATE, retried when another process holds the write lock past busy_timeout.
  void begin();
  void commit();
  /// Never throws; after SQLITE_FULL SQLite may already have rolled back by itself.
  void rollback() noexcept;

  void insert(RunId run, const StageReading& reading);
  void insert(RunId run, const Event& event);
  void upsert(RunId run, const FrameRecord& frame);
  void insert(RunId run, const DmaPoint& point);
  void upsert(RunId run, const FrameAnalysis& analysis);
  void insert_result(RunId run, const std::string& kind, const std::string& name, const std::string& json,
                     std::int64_t utc_ns);
  void save_checkpoint(RunId run, const std::string& json, std::int64_t utc_ns);

  RunId insert_run(const RunStart& start);
  /// False when there is no such run.
  bool end_run(RunId run, const RunStop& stop);
  /// Empty when the run was reopened by this process, else why it was refused.
  std::string resume_run(RunId run);

private:
  std::int64_t status_id(const std::string& status);

  sqlite::Database& db_;
  ProcessIdentity self_;
  sqlite::Statement insert_stage_, insert_event_, upsert_frame_, insert_dma_, upsert_analysis_;
  sqlite::Statement insert_result_, update_checkpoint_, insert_run_, end_run_;
  sqlite::Statement insert_status_, select_status_;
  // Interned stage status names; only filled after the row is known committed-or-pending in the
  // current transaction, and cleared on rollback so no id outlives a rolled-back insert.
  std::unordered_map<std::string, std::int64_t> status_ids_;
  std::unordered_map<std::string, std::int64_t> pending_status_ids_;
};

/// Marks 'running' runs whose writer process is gone as 'interrupted'; returns how many.
int mark_interrupted_runs(sqlite::Database& db);

}  // namespace glasslab::acquisition::detail
