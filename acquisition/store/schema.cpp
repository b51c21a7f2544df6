#include "acquisition/store/schema.hpp"

#include <functional>
#include <vector>

#include <fmt/format.h>

#include "core/error.hpp"

namespace glasslab::acquisition::schema {

namespace {

// Schema v1. Choices that keep a stage reading small (docs/database.md, "Size"):
// - times are INTEGER nanoseconds (8 bytes, exact); readable text lives in the *_v views;
// - REAL columns without NOT NULL: SQLite stores NaN as NULL, and a NOT NULL failure would stop
//   the writer over one odd reading; loaders map NULL back to NaN;
// - the stage status text is interned in stage_status (1-byte id per row instead of ~8 bytes);
// - one index per stream, (run_id, time), which both per-run queries and ordering need.
// No STRICT tables: Python's bundled SQLite on older lab PCs (< 3.37) could not open the file.
constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE runs (
  id                 INTEGER PRIMARY KEY,
  schedule_path      TEXT    NOT NULL DEFAULT '',
  schedule_text      TEXT    NOT NULL DEFAULT '',
  sample_json        TEXT    NOT NULL DEFAULT '{}',
  configuration_json TEXT    NOT NULL DEFAULT '{}',
  operator           TEXT    NOT NULL DEFAULT '',
  software_version   TEXT    NOT NULL DEFAULT '',
  start_utc          TEXT    NOT NULL,
  start_utc_ns       INTEGER NOT NULL,
  start_mono_ns      INTEGER NOT NULL,
  stop_utc           TEXT,
  stop_utc_ns        INTEGER,
  stop_mono_ns       INTEGER,
  exit_status        TEXT    NOT NULL DEFAULT 'running'
                     CHECK (exit_status IN ('running', 'success', 'aborted', 'failed', 'interrupted')),
  exit_reason        TEXT    NOT NULL DEFAULT '',
  writer_pid         INTEGER NOT NULL,
  writer_boot_id     TEXT    NOT NULL DEFAULT '',
  writer_start_ticks INTEGER NOT NULL DEFAULT 0,
  checkpoint_json    TEXT,
  checkpoint_utc     TEXT
);

CREATE TABLE stage_status (
  id   INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE
);

CREATE TABLE stage_readings (
  run_id         INTEGER NOT NULL REFERENCES runs(id),
  t_mono_ns      INTEGER NOT NULL,
  t_utc_ns       INTEGER NOT NULL,
  T_K            REAL,
  setpoint_K     REAL,
  rate_K_per_min REAL,
  status_id      INTEGER NOT NULL REFERENCES stage_status(id),
  status_code    INTEGER NOT NULL,
  error_bits     INTEGER NOT NULL,
  pump_speed     INTEGER NOT NULL,
  pump_automatic INTEGER NOT NULL,
  step_index     INTEGER NOT NULL
);
CREATE INDEX stage_readings_by_run_time ON stage_readings(run_id, t_mono_ns);

CREATE TABLE events (
  run_id    INTEGER NOT NULL REFERENCES runs(id),
  t_mono_ns INTEGER NOT NULL,
  t_utc_ns  INTEGER NOT NULL,
  level     TEXT    NOT NULL,
  source    TEXT    NOT NULL,
  kind      TEXT    NOT NULL,
  message   TEXT    NOT NULL
);
CREATE INDEX events_by_run_time ON events(run_id, t_mono_ns);

CREATE TABLE frames (
  run_id          INTEGER NOT NULL REFERENCES runs(id),
  frame_index     INTEGER NOT NULL,
  trigger_mono_ns INTEGER NOT NULL,
  t_start_mono_ns INTEGER NOT NULL,
  t_end_mono_ns   INTEGER NOT NULL,
  t_start_utc_ns  INTEGER NOT NULL,
  t_end_utc_ns    INTEGER NOT NULL,
  start_source    TEXT    NOT NULL,
  T_start_K       REAL,
  T_mid_K         REAL,
  T_end_K         REAL,
  file            TEXT    NOT NULL,
  status          TEXT    NOT NULL,
  reason          TEXT    NOT NULL,
  step_index      INTEGER NOT NULL,
  PRIMARY KEY (run_id, frame_index)
);

CREATE TABLE frame_analysis (
  run_id           INTEGER NOT NULL REFERENCES runs(id),
  frame_index      INTEGER NOT NULL,
  rho0_per_A3      REAL,
  rho0_fitted      INTEGER NOT NULL,
  r_min_A          REAL,
  r_max_A          REAL,
  seq_kB_per_atom  REAL,
  seq_J_per_mol_K  REAL,
  status           TEXT    NOT NULL,
  reason           TEXT    NOT NULL,
  analyzed_utc_ns  INTEGER NOT NULL,
  PRIMARY KEY (run_id, frame_index)
);

CREATE TABLE dma_points (
  run_id             INTEGER NOT NULL REFERENCES runs(id),
  t_mono_ns          INTEGER NOT NULL,
  t_utc_ns           INTEGER NOT NULL,
  instrument_index   INTEGER NOT NULL,
  sweep              TEXT    NOT NULL,
  T_K                REAL,
  frequency_Hz       REAL,
  storage_modulus_Pa REAL,
  loss_modulus_Pa    REAL,
  tan_delta          REAL,
  strain_pct         REAL,
  force_N            REAL,
  torque_Nm          REAL,
  mode               TEXT    NOT NULL,
  step_index         INTEGER NOT NULL
);
CREATE INDEX dma_points_by_run_time ON dma_points(run_id, t_mono_ns);

CREATE TABLE analysis_results (
  id          INTEGER PRIMARY KEY,
  run_id      INTEGER NOT NULL REFERENCES runs(id),
  kind        TEXT    NOT NULL,
  name        TEXT    NOT NULL,
  json        TEXT    NOT NULL,
  created_utc TEXT    NOT NULL
);
CREATE INDEX analysis_results_by_run ON analysis_results(run_id);
)sql";

std::string views_v1() {
  const auto utc = [](std::string_view column) { return sql_utc_text(column); };
  return fmt::format(R"sql(
CREATE VIEW runs_v AS
SELECT r.id, r.start_utc, r.stop_utc, r.exit_status, r.exit_reason,
       (r.stop_mono_ns - r.start_mono_ns) / 1e9 AS duration_s,
       r.schedule_path, r.sample_json, r.operator, r.software_version,
       (SELECT COUNT(*) FROM stage_readings s WHERE s.run_id = r.id) AS stage_readings,
       (SELECT COUNT(*) FROM frames f WHERE f.run_id = r.id) AS frames,
       (SELECT COUNT(*) FROM dma_points d WHERE d.run_id = r.id) AS dma_points,
       (SELECT COUNT(*) FROM events e WHERE e.run_id = r.id) AS events
FROM runs r;

CREATE VIEW stage_readings_v AS
SELECT s.run_id, {} AS t_utc, s.t_mono_ns / 1e9 AS t_mono_s, s.T_K, s.setpoint_K, s.rate_K_per_min,
       st.name AS status, s.status_code, s.error_bits, s.pump_speed, s.pump_automatic, s.step_index,
       s.t_utc_ns, s.t_mono_ns
FROM stage_readings s JOIN stage_status st ON st.id = s.status_id;

CREATE VIEW events_v AS
SELECT run_id, {} AS t_utc, t_mono_ns / 1e9 AS t_mono_s, level, source, kind, message, t_utc_ns, t_mono_ns
FROM events;

CREATE VIEW frames_v AS
SELECT run_id, frame_index AS "index", trigger_mono_ns / 1e9 AS t_trigger_mono_s,
       {} AS t_start_utc, {} AS t_end_utc,
       (t_end_mono_ns - t_start_mono_ns) / 1e9 AS exposure_s, start_source,
       T_start_K, T_mid_K, T_end_K, file, status, reason, step_index,
       t_start_mono_ns, t_end_mono_ns, t_start_utc_ns, t_end_utc_ns
FROM frames;

CREATE VIEW frame_analysis_v AS
SELECT a.run_id, a.frame_index, f.T_mid_K, a.rho0_per_A3, a.rho0_fitted, a.r_min_A, a.r_max_A,
       a.seq_kB_per_atom, a.seq_J_per_mol_K, a.status, a.reason, {} AS analyzed_utc
FROM frame_analysis a LEFT JOIN frames f ON f.run_id = a.run_id AND f.frame_index = a.frame_index;

CREATE VIEW dma_points_v AS
SELECT run_id, {} AS t_utc, t_mono_ns / 1e9 AS t_mono_s, instrument_index, sweep, T_K, frequency_Hz,
       storage_modulus_Pa, loss_modulus_Pa, tan_delta, strain_pct, force_N, torque_Nm, mode, step_index,
       t_utc_ns, t_mono_ns
FROM dma_points;
)sql",
                     utc("s.t_utc_ns"), utc("t_utc_ns"), utc("t_start_utc_ns"), utc("t_end_utc_ns"),
                     utc("a.analyzed_utc_ns"), utc("t_utc_ns"));
}

void migrate_0_to_1(sqlite::Database& db) {
  db.exec(kSchemaV1);
  db.exec(views_v1());
  db.exec(fmt::format("PRAGMA application_id = {}", kApplicationId));
}

// Schema v2 (issue 6, docs/dashboard.md "Control through the run store"): the run store is the bus
// between a running `glasslab run` and `glasslab ctl` / `glasslab serve`, which are other
// processes. run_control: one row per run that can be steered (the SHA-256 of its token, never the
// token; its control state and live status, rewritten twice a second by the run's process).
// control_requests: every request for a run, with its verdict; the run's process applies the
// pending ones at its next safe point and marks them.
constexpr std::string_view kSchemaV2 = R"sql(
CREATE TABLE run_control (
  run_id        INTEGER PRIMARY KEY REFERENCES runs(id),
  token_sha256  TEXT    NOT NULL,
  state         TEXT    NOT NULL DEFAULT 'running'
                CHECK (state IN ('running', 'pause_requested', 'paused', 'aborting', 'ended')),
  status_json   TEXT    NOT NULL DEFAULT '{}',
  status_utc_ns INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE control_requests (
  id               INTEGER PRIMARY KEY,
  run_id           INTEGER NOT NULL REFERENCES runs(id),
  action           TEXT    NOT NULL CHECK (action IN ('pause', 'resume', 'abort')),
  origin           TEXT    NOT NULL,
  peer             TEXT    NOT NULL DEFAULT '',
  requested_utc_ns INTEGER NOT NULL,
  status           TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'refused')),
  outcome          TEXT    NOT NULL DEFAULT '',
  handled_utc_ns   INTEGER
);
CREATE INDEX control_requests_by_run ON control_requests(run_id, id);
)sql";

void migrate_1_to_2(sqlite::Database& db) { db.exec(kSchemaV2); }

// Index i migrates version i to version i + 1.
const std::vector<std::function<void(sqlite::Database&)>>& migrations() {
  static const std::vector<std::function<void(sqlite::Database&)>> steps = {migrate_0_to_1, migrate_1_to_2};
  return steps;
}

void check_identity(sqlite::Database& db, int version) {
  const auto application_id = db.query_int("PRAGMA application_id");
  if (version > 0 && application_id != kApplicationId) {
    throw StoreError(fmt::format("{} is not a glasslab run store (application_id {:#x}, expected {:#x})", db.path(),
                                 application_id, kApplicationId));
  }
  if (version > kSchemaVersion) {
    throw StoreError(fmt::format("{} has schema version {}, this glasslab knows up to {}: use a newer glasslab",
                                 db.path(), version, kSchemaVersion));
  }
}

}  // namespace

std::string sql_utc_text(std::string_view ns) {
  // Integer division truncates, as format_utc does for the non-negative times a run records.
  return fmt::format("(strftime('%Y-%m-%dT%H:%M:%S', ({0}) / 1000000000, 'unixepoch') || "
                     "printf('.%06dZ', (({0}) / 1000) % 1000000))",
                     ns);
}

void configure_writer(sqlite::Database& db, const WriterSettings& settings) {
  db.exec(fmt::format("PRAGMA busy_timeout = {}", settings.busy_timeout_ms));
  const auto mode = db.query_text("PRAGMA journal_mode = WAL");
  if (mode != "wal") {
    throw StoreError(fmt::format("{}: cannot switch to WAL mode (journal_mode is {}); is it on a network share?",
                                 db.path(), mode.value_or("?")));
  }
  db.exec(settings.synchronous_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
  db.exec("PRAGMA foreign_keys = ON");
  if (settings.max_size_bytes > 0) {
    const auto page_size = db.query_int("PRAGMA page_size");
    const auto pages = std::max<long long>(1, settings.max_size_bytes / page_size);
    db.exec(fmt::format("PRAGMA max_page_count = {}", pages));
  }
}

void migrate(sqlite::Database& db) {
  auto version = static_cast<int>(db.query_int("PRAGMA user_version"));
  if (version == 0) {
    const auto tables = db.query_int("SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table'");
    if (tables > 0 && db.query_int("PRAGMA application_id") != kApplicationId) {
      throw StoreError(fmt::format("{} already holds {} table(s) of another application; refusing to add the "
                                   "glasslab schema to it",
                                   db.path(), tables));
    }
  }
  check_identity(db, version);
  while (version < kSchemaVersion) {
    sqlite::Transaction transaction(db);
    // Re-read inside the write lock: another process may have migrated meanwhile.
    version = static_cast<int>(db.query_int("PRAGMA user_version"));
    if (version >= kSchemaVersion) break;
    migrations().at(static_cast<std::size_t>(version))(db);
    db.exec(fmt::format("PRAGMA user_version = {}", version + 1));
    transaction.commit();
    ++version;
  }
}

void check_readable(sqlite::Database& db) {
  const auto version = static_cast<int>(db.query_int("PRAGMA user_version"));
  if (version == 0) throw StoreError(fmt::format("{} is not a glasslab run store (no schema)", db.path()));
  check_identity(db, version);
}

}  // namespace glasslab::acquisition::schema
