#pragma once
// The run store's schema (docs/database.md): tables, indexes, readable views, and the migration
// from whatever `PRAGMA user_version` a file has to the version this build knows.
#include <string>
#include <string_view>

#include "acquisition/store/sqlite.hpp"

namespace glasslab::acquisition::schema {

/// The schema version this build writes and reads (`PRAGMA user_version`).
inline constexpr int kSchemaVersion = 2;
/// `PRAGMA application_id`, "GLAB": tells a glasslab store from any other SQLite file.
inline constexpr int kApplicationId = 0x474C4142;

/// Per-connection settings of the writer: WAL, synchronous, busy timeout, foreign keys, size cap.
struct WriterSettings {
  bool synchronous_full = false;     ///< fsync the WAL at every commit (power-loss durability)
  int busy_timeout_ms = 5000;        ///< how long a write waits for another writer's lock
  long long max_size_bytes = 0;      ///< 0: unlimited; else writes past this size fail with SQLITE_FULL
};

/// Applies the writer's PRAGMAs. journal_mode=WAL is persistent in the file; the others are per
/// connection and must be set on every open.
void configure_writer(sqlite::Database& db, const WriterSettings& settings);

/// Brings the file to kSchemaVersion, one version step per IMMEDIATE transaction so a crash
/// mid-migration leaves the previous version intact. Throws StoreError for a file that is not a
/// glasslab store or has a newer schema than this build knows.
void migrate(sqlite::Database& db);

/// For read-only connections: throws StoreError unless the file is a glasslab store of a
/// version this build can read.
void check_readable(sqlite::Database& db);

/// SQL expression turning integer UTC nanoseconds into ISO-8601 text with microseconds and Z,
/// the same text as glasslab::format_utc (used by the views and the CSV export).
std::string sql_utc_text(std::string_view utc_ns_expression);

}  // namespace glasslab::acquisition::schema
