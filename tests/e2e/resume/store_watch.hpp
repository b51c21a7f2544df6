#pragma once
// Watches a run store from outside the process that writes it (as the sqlite3 shell would), for
// the crash tests: what was committed before a kill, and conditions to kill on. Plain SQLite C
// API and no doctest macros: it runs on the watcher thread while the child records.
#include <sqlite3.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <thread>

namespace glasslab::test {

/// Every committed stage reading, by rowid, as one text row.
struct CommittedRows {
  std::map<long long, std::string> stage;
  long long events = 0;
};

class StoreWatch {
public:
  explicit StoreWatch(std::string path) : path_(std::move(path)) {}

  /// What is committed now; nullopt while the file cannot be read yet.
  std::optional<CommittedRows> committed() const {
    sqlite3* db = open();
    if (!db) return std::nullopt;
    CommittedRows rows;
    const bool ok = each_row(db,
                             "SELECT rowid, run_id, t_mono_ns, t_utc_ns, quote(T_K), quote(setpoint_K), status_code, "
                             "error_bits, step_index FROM stage_readings",
                             [&](sqlite3_stmt* st) {
                               std::string row;
                               for (int c = 1; c < sqlite3_column_count(st); ++c) {
                                 const auto* text = sqlite3_column_text(st, c);
                                 row += std::string(text ? reinterpret_cast<const char*>(text) : "NULL") + "|";
                               }
                               rows.stage[sqlite3_column_int64(st, 0)] = row;
                             }) &&
                    each_row(db, "SELECT count(*) FROM events", [&](sqlite3_stmt* st) {
                      rows.events = sqlite3_column_int64(st, 0);
                    });
    sqlite3_close(db);
    if (!ok) return std::nullopt;
    return rows;
  }

  /// True once `sql` (one row, one integer column) returns non-zero.
  bool holds(const std::string& sql) const {
    sqlite3* db = open();
    if (!db) return false;
    long long value = 0;
    each_row(db, sql, [&](sqlite3_stmt* st) { value = sqlite3_column_int64(st, 0); });
    sqlite3_close(db);
    return value != 0;
  }

  /// Polls every 10 ms until `sql` holds or `timeout` passes; keeps the last committed rows seen.
  bool wait_for(const std::string& sql, std::chrono::milliseconds timeout, CommittedRows* last_seen = nullptr) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (last_seen)
        if (auto rows = committed()) *last_seen = std::move(*rows);
      if (holds(sql)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

private:
  sqlite3* open() const {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
      sqlite3_close(db);
      return nullptr;
    }
    sqlite3_busy_timeout(db, 1000);
    return db;
  }

  template <class F>
  static bool each_row(sqlite3* db, const std::string& sql, F&& on_row) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) return false;
    int rc = SQLITE_ROW;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) on_row(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE;
  }

  std::string path_;
};

}  // namespace glasslab::test
