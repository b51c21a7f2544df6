#include "acquisition/store/store_writer.hpp"

#include <sqlite3.h>

#include <chrono>
#include <vector>

#include <fmt/format.h>

#include "acquisition/store/schema.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"

namespace glasslab::acquisition::detail {

namespace {

constexpr int kBeginAttempts = 3;  // each waits busy_timeout before SQLITE_BUSY comes back

std::int64_t wall_utc_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

StoreWriter::StoreWriter(sqlite::Database& db, ProcessIdentity self)
    : db_(db),
      self_(std::move(self)),
      insert_stage_(db,
                    "INSERT INTO stage_readings (run_id, t_mono_ns, t_utc_ns, T_K, setpoint_K, rate_K_per_min, "
                    "status_id, status_code, error_bits, pump_speed, pump_automatic, step_index) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"),
      insert_event_(db,
                    "INSERT INTO events (run_id, t_mono_ns, t_utc_ns, level, source, kind, message) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
      // A frame recorded again (e.g. its file arrived late) replaces its row: one row per frame.
      // A file that matched no trigger has no frame index (FrameRecord::index < 0): each gets the
      // next free negative one of its run (-1, -2, ...), so no such row replaces another.
      upsert_frame_(db,
                    "INSERT INTO frames (run_id, frame_index, trigger_mono_ns, t_start_mono_ns, t_end_mono_ns, "
                    "t_start_utc_ns, t_end_utc_ns, start_source, T_start_K, T_mid_K, T_end_K, file, status, "
                    "reason, step_index) VALUES (?1, CASE WHEN ?2 >= 0 THEN ?2 ELSE (SELECT min(0, "
                    "coalesce(min(frame_index), 0)) - 1 FROM frames WHERE run_id = ?1) END, "
                    "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15) "
                    "ON CONFLICT (run_id, frame_index) DO UPDATE SET trigger_mono_ns = excluded.trigger_mono_ns, "
                    "t_start_mono_ns = excluded.t_start_mono_ns, t_end_mono_ns = excluded.t_end_mono_ns, "
                    "t_start_utc_ns = excluded.t_start_utc_ns, t_end_utc_ns = excluded.t_end_utc_ns, "
                    "start_source = excluded.start_source, T_start_K = excluded.T_start_K, "
                    "T_mid_K = excluded.T_mid_K, T_end_K = excluded.T_end_K, file = excluded.file, "
                    "status = excluded.status, reason = excluded.reason, step_index = excluded.step_index"),
      insert_dma_(db,
                  "INSERT INTO dma_points (run_id, t_mono_ns, t_utc_ns, instrument_index, sweep, T_K, frequency_Hz, "
                  "storage_modulus_Pa, loss_modulus_Pa, tan_delta, strain_pct, force_N, torque_Nm, mode, "
                  "step_index) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"),
      upsert_analysis_(db,
                       "INSERT OR REPLACE INTO frame_analysis (run_id, frame_index, rho0_per_A3, rho0_fitted, "
                       "r_min_A, r_max_A, seq_kB_per_atom, seq_J_per_mol_K, status, reason, analyzed_utc_ns) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"),
      insert_result_(db,
                     "INSERT INTO analysis_results (run_id, kind, name, json, created_utc) "
                     "VALUES (?1, ?2, ?3, ?4, ?5)"),
      update_checkpoint_(db, "UPDATE runs SET checkpoint_json = ?2, checkpoint_utc = ?3 WHERE id = ?1"),
      insert_run_(db,
                  "INSERT INTO runs (schedule_path, schedule_text, sample_json, configuration_json, operator, "
                  "software_version, start_utc, start_utc_ns, start_mono_ns, exit_status, writer_pid, "
                  "writer_boot_id, writer_start_ticks) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'running', ?10, ?11, ?12)"),
      end_run_(db,
               "UPDATE runs SET exit_status = ?2, exit_reason = ?3, stop_utc = ?4, stop_utc_ns = ?5, "
               "stop_mono_ns = ?6 WHERE id = ?1"),
      insert_status_(db, "INSERT OR IGNORE INTO stage_status (name) VALUES (?1)"),
      select_status_(db, "SELECT id FROM stage_status WHERE name = ?1") {}

void StoreWriter::begin() {
  int rc = SQLITE_OK;
  for (int attempt = 0; attempt < kBeginAttempts; ++attempt) {
    rc = db_.exec_code("BEGIN IMMEDIATE");
    if (rc == SQLITE_OK) return;
    if ((rc & 0xff) != SQLITE_BUSY) break;
  }
  db_.fail(rc, "starting a write transaction (BEGIN IMMEDIATE)");
}

void StoreWriter::commit() {
  const int rc = db_.exec_code("COMMIT");
  if (rc != SQLITE_OK) db_.fail(rc, "committing a batch");
  for (auto& [name, id] : pending_status_ids_) status_ids_.emplace(name, id);
  pending_status_ids_.clear();
}

void StoreWriter::rollback() noexcept {
  if (!sqlite3_get_autocommit(db_.handle())) db_.exec_code("ROLLBACK");
  pending_status_ids_.clear();
}

std::int64_t StoreWriter::status_id(const std::string& status) {
  if (auto found = status_ids_.find(status); found != status_ids_.end()) return found->second;
  if (auto found = pending_status_ids_.find(status); found != pending_status_ids_.end()) return found->second;
  insert_status_.bind(1, status).run();
  select_status_.bind(1, status);
  if (!select_status_.step()) throw StoreError(fmt::format("stage status '{}' missing after insert", status));
  const auto id = select_status_.column_int(0);
  select_status_.reset();
  pending_status_ids_.emplace(status, id);
  return id;
}

void StoreWriter::insert(RunId run, const StageReading& r) {
  const auto status = status_id(r.status);
  insert_stage_.bind(1, run).bind(2, r.t_mono_ns).bind(3, r.t_utc_ns).bind(4, r.T_K).bind(5, r.setpoint_K);
  insert_stage_.bind(6, r.rate_K_per_min).bind(7, status).bind(8, r.status_code).bind(9, r.error_bits);
  insert_stage_.bind(10, r.pump_speed).bind(11, r.pump_automatic).bind(12, r.step_index).run();
}

void StoreWriter::insert(RunId run, const Event& e) {
  insert_event_.bind(1, run).bind(2, e.t_mono_ns).bind(3, e.t_utc_ns).bind(4, to_string(e.level));
  insert_event_.bind(5, e.source).bind(6, e.kind).bind(7, e.message).run();
}

void StoreWriter::upsert(RunId run, const FrameRecord& f) {
  upsert_frame_.bind(1, run).bind(2, f.index).bind(3, f.trigger_mono_ns).bind(4, f.t_start_mono_ns);
  upsert_frame_.bind(5, f.t_end_mono_ns).bind(6, f.t_start_utc_ns).bind(7, f.t_end_utc_ns).bind(8, f.start_source);
  upsert_frame_.bind(9, f.T_start_K).bind(10, f.T_mid_K).bind(11, f.T_end_K).bind(12, f.file);
  upsert_frame_.bind(13, f.status).bind(14, f.reason).bind(15, f.step_index).run();
}

void StoreWriter::insert(RunId run, const DmaPoint& p) {
  insert_dma_.bind(1, run).bind(2, p.t_mono_ns).bind(3, p.t_utc_ns).bind(4, p.instrument_index).bind(5, p.sweep);
  insert_dma_.bind(6, p.T_K).bind(7, p.frequency_Hz).bind(8, p.storage_modulus_Pa).bind(9, p.loss_modulus_Pa);
  insert_dma_.bind(10, p.tan_delta).bind(11, p.strain_pct).bind(12, p.force_N).bind(13, p.torque_Nm);
  insert_dma_.bind(14, p.mode).bind(15, p.step_index).run();
}

void StoreWriter::upsert(RunId run, const FrameAnalysis& a) {
  upsert_analysis_.bind(1, run).bind(2, a.frame_index).bind(3, a.rho0_per_A3).bind(4, a.rho0_fitted);
  upsert_analysis_.bind(5, a.r_min_A).bind(6, a.r_max_A).bind(7, a.seq_kB_per_atom).bind(8, a.seq_J_per_mol_K);
  upsert_analysis_.bind(9, a.status).bind(10, a.reason).bind(11, a.analyzed_utc_ns).run();
}

void StoreWriter::insert_result(RunId run, const std::string& kind, const std::string& name, const std::string& json,
                                std::int64_t utc_ns) {
  insert_result_.bind(1, run).bind(2, kind).bind(3, name).bind(4, json).bind(5, format_utc(utc_ns)).run();
}

void StoreWriter::save_checkpoint(RunId run, const std::string& json, std::int64_t utc_ns) {
  update_checkpoint_.bind(1, run).bind(2, json).bind(3, format_utc(utc_ns)).run();
}

RunId StoreWriter::insert_run(const RunStart& s) {
  const auto start_utc_ns = s.start_utc_ns != 0 ? s.start_utc_ns : wall_utc_ns();
  insert_run_.bind(1, s.schedule_path).bind(2, s.schedule_text).bind(3, s.sample_json.empty() ? "{}" : s.sample_json);
  insert_run_.bind(4, s.configuration_json.empty() ? "{}" : s.configuration_json).bind(5, s.operator_name);
  insert_run_.bind(6, s.software_version).bind(7, format_utc(start_utc_ns)).bind(8, start_utc_ns);
  insert_run_.bind(9, s.start_mono_ns).bind(10, self_.pid).bind(11, self_.boot_id).bind(12, self_.start_ticks);
  insert_run_.run();
  return db_.last_insert_rowid();
}

bool StoreWriter::end_run(RunId run, const RunStop& stop) {
  const auto stop_utc_ns = stop.stop_utc_ns != 0 ? stop.stop_utc_ns : wall_utc_ns();
  end_run_.bind(1, run).bind(2, to_string(stop.status)).bind(3, stop.reason).bind(4, format_utc(stop_utc_ns));
  end_run_.bind(5, stop_utc_ns).bind(6, stop.stop_mono_ns).run();
  return db_.changes() > 0;
}

std::string StoreWriter::resume_run(RunId run) {
  auto select = db_.prepare(
      "SELECT exit_status, writer_pid, writer_boot_id, writer_start_ticks FROM runs WHERE id = ?1");
  select.bind(1, run);
  if (!select.step()) return fmt::format("no run {} in {}", run, db_.path());
  const ProcessIdentity writer{static_cast<int>(select.column_int(1)), select.column_text(2), select.column_int(3)};
  if (select.column_text(0) == "running" && is_alive(writer) && writer.pid != self_.pid) {
    return fmt::format("run {} in {} is still being written by process {}", run, db_.path(), writer.pid);
  }
  auto update = db_.prepare(
      "UPDATE runs SET exit_status = 'running', exit_reason = '', stop_utc = NULL, stop_utc_ns = NULL, "
      "stop_mono_ns = NULL, writer_pid = ?2, writer_boot_id = ?3, writer_start_ticks = ?4 WHERE id = ?1");
  update.bind(1, run).bind(2, self_.pid).bind(3, self_.boot_id).bind(4, self_.start_ticks).run();
  return {};
}

// ---------------------------------------------------------------------------------------------

int mark_interrupted_runs(sqlite::Database& db) {
  struct Candidate {
    RunId id;
    ProcessIdentity writer;
    std::int64_t start_mono_ns, start_utc_ns;
  };
  std::vector<Candidate> dead;
  {
    auto select = db.prepare(
        "SELECT id, writer_pid, writer_boot_id, writer_start_ticks, start_mono_ns, start_utc_ns FROM runs "
        "WHERE exit_status = 'running'");
    while (select.step()) {
      Candidate c{select.column_int(0),
                  {static_cast<int>(select.column_int(1)), select.column_text(2), select.column_int(3)},
                  select.column_int(4),
                  select.column_int(5)};
      if (!is_alive(c.writer)) dead.push_back(std::move(c));
    }
  }
  if (dead.empty()) return 0;

  // The stop time of an interrupted run is its last record of any stream (index seeks).
  auto last_record = db.prepare(
      "SELECT t_mono_ns, t_utc_ns FROM ("
      " SELECT * FROM (SELECT t_mono_ns, t_utc_ns FROM stage_readings WHERE run_id = ?1"
      "                ORDER BY t_mono_ns DESC LIMIT 1)"
      " UNION ALL SELECT * FROM (SELECT t_mono_ns, t_utc_ns FROM events WHERE run_id = ?1"
      "                ORDER BY t_mono_ns DESC LIMIT 1)"
      " UNION ALL SELECT * FROM (SELECT t_mono_ns, t_utc_ns FROM dma_points WHERE run_id = ?1"
      "                ORDER BY t_mono_ns DESC LIMIT 1)"
      ") ORDER BY t_mono_ns DESC LIMIT 1");
  auto update = db.prepare(
      "UPDATE runs SET exit_status = 'interrupted', exit_reason = ?2, stop_utc = ?3, stop_utc_ns = ?4, "
      "stop_mono_ns = ?5 WHERE id = ?1 AND exit_status = 'running'");
  auto event = db.prepare(
      "INSERT INTO events (run_id, t_mono_ns, t_utc_ns, level, source, kind, message) "
      "VALUES (?1, ?2, ?3, 'warning', 'store', 'interrupted', ?4)");

  int marked = 0;
  sqlite::Transaction transaction(db);
  for (const auto& run : dead) {
    std::int64_t stop_mono_ns = run.start_mono_ns, stop_utc_ns = run.start_utc_ns;
    last_record.bind(1, run.id);
    if (last_record.step()) {
      stop_mono_ns = last_record.column_int(0);
      stop_utc_ns = last_record.column_int(1);
    }
    last_record.reset();
    const auto reason = fmt::format(
        "writer process {} ended without closing the run (crash, kill or power loss); last record at {}",
        run.writer.pid, format_utc(stop_utc_ns));
    update.bind(1, run.id).bind(2, reason).bind(3, format_utc(stop_utc_ns)).bind(4, stop_utc_ns);
    update.bind(5, stop_mono_ns).run();
    if (db.changes() == 0) continue;  // another process closed or marked it meanwhile
    event.bind(1, run.id).bind(2, stop_mono_ns).bind(3, stop_utc_ns).bind(4, reason).run();
    ++marked;
  }
  transaction.commit();
  return marked;
}

}  // namespace glasslab::acquisition::detail
