#pragma once
// A read-only view of a run store for end-to-end tests: rows as text, as the sqlite3 shell shows them.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <string>
#include <vector>

namespace glasslab::test {

struct Db {
  explicit Db(const std::string& path) {
    REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  }
  ~Db() { sqlite3_close(db); }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  std::vector<std::vector<std::string>> rows(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    REQUIRE_MESSAGE(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK, sqlite3_errmsg(db));
    std::vector<std::vector<std::string>> out;
    while (sqlite3_step(st) == SQLITE_ROW) {
      std::vector<std::string> row;
      for (int i = 0; i < sqlite3_column_count(st); ++i) {
        const auto* text = sqlite3_column_text(st, i);
        row.emplace_back(text ? reinterpret_cast<const char*>(text) : "");
      }
      out.push_back(row);
    }
    sqlite3_finalize(st);
    return out;
  }

  std::string scalar(const std::string& sql) {
    auto r = rows(sql);
    REQUIRE(!r.empty());
    return r[0][0];
  }

  sqlite3* db = nullptr;
};

}  // namespace glasslab::test
