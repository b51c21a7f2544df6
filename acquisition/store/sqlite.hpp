#pragma once
// A thin RAII layer over the SQLite C API (libsqlite3): a connection that closes itself, prepared
// statements that finalize themselves, and errors that name the database file, the SQL and the
// SQLite result code. Nothing here knows the glasslab schema (that is schema.cpp).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace glasslab::acquisition::sqlite {

/// SQLite's name for a (possibly extended) result code, e.g. "SQLITE_FULL".
std::string result_code_name(int result_code);

class Statement;

/// One connection. Not thread-safe by design: each thread that touches the database owns its own.
class Database {
public:
  enum class Mode { read_write_create, read_write, read_only };

  Database(const std::string& path, Mode mode);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  const std::string& path() const noexcept { return path_; }
  sqlite3* handle() const noexcept { return db_; }

  /// Runs one or more statements that return no rows we care about; throws StoreError.
  void exec(std::string_view sql);
  /// Like exec() but returns the result code instead of throwing (for SQLITE_BUSY retries).
  int exec_code(std::string_view sql);
  Statement prepare(std::string_view sql);
  /// First column of the first row as an integer (PRAGMAs, COUNT(*)); throws when no row.
  std::int64_t query_int(std::string_view sql);
  /// First column of the first row as text, or nullopt when there is no row or it is NULL.
  std::optional<std::string> query_text(std::string_view sql);

  std::int64_t last_insert_rowid() const;
  int changes() const;

  /// Throws StoreError "<what> in <path>: <SQLITE_CODE> (<message>)" for a failed call.
  [[noreturn]] void fail(int result_code, std::string_view what) const;

private:
  std::string path_;
  sqlite3* db_ = nullptr;
};

/// A prepared statement, reused across executions (bind, step, reset).
class Statement {
public:
  Statement(Database& db, std::string_view sql);
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are 1-based, as in sqlite3_bind_*.
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  Statement& bind(int index, bool value) { return bind(index, static_cast<std::int64_t>(value ? 1 : 0)); }
  Statement& bind(int index, double value);
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, const std::string& text) { return bind(index, std::string_view(text)); }
  Statement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
  Statement& bind(int index, const std::optional<double>& value);
  Statement& bind(int index, const std::optional<std::int64_t>& value);
  Statement& bind_null(int index);

  /// Advances; true while a row is available, false when done. Throws StoreError on failure.
  bool step();
  /// Like step() but returns the raw result code instead of throwing (the writer needs
  /// SQLITE_FULL and SQLITE_BUSY as values).
  int step_code();
  /// Runs a statement that returns no rows, then resets it for the next use.
  void run();
  void reset();

  // Columns are 0-based, as in sqlite3_column_*.
  bool is_null(int column) const;
  std::int64_t column_int(int column) const;
  double column_double(int column) const;
  std::string column_text(int column) const;
  std::optional<double> column_optional_double(int column) const;
  std::optional<std::int64_t> column_optional_int(int column) const;
  std::optional<std::string> column_optional_text(int column) const;

  const std::string& sql() const noexcept { return sql_; }

private:
  void check_bind(int result_code, int index);

  Database* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  std::string sql_;
};

/// BEGIN IMMEDIATE ... COMMIT, rolled back by the destructor unless committed.
class Transaction {
public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

private:
  Database& db_;
  bool open_ = true;
};

}  // namespace glasslab::acquisition::sqlite
