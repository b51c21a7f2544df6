#pragma once
// Shared by the store tests: a temporary directory that removes itself, and record factories whose
// values follow from an index, so a test can check every stored row against what it must be.
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

#include <sqlite3.h>

#include "acquisition/records.hpp"

namespace glasslab::acquisition::test {

class TempDir {
public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "glasslab-store-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
  std::filesystem::path path_;
};

inline constexpr std::int64_t kUtcOrigin_ns = 1'764'000'000'123'456'789;  // 2025-11-24T16:00:00.123456789Z
inline constexpr std::int64_t kMonoOrigin_ns = 5'000'000'000'000;         // a host up for ~83 min

/// The i-th stage reading of a synthetic 10 Hz log.
inline StageReading stage_reading(int i) {
  StageReading r;
  r.t_mono_ns = kMonoOrigin_ns + std::int64_t{i} * 100'000'000;
  r.t_utc_ns = kUtcOrigin_ns + std::int64_t{i} * 100'000'000;
  r.T_K = 93.15 + 0.01 * i;
  r.setpoint_K = 873.15;
  r.rate_K_per_min = 10.0;
  r.status_code = (i % 3 == 0) ? 0x10 : 0x30;
  r.status = (i % 3 == 0) ? "heating" : "holding_limit";
  r.error_bits = i % 2;
  r.pump_speed = i % 31;
  r.pump_automatic = (i % 5) == 0;
  r.step_index = i;
  return r;
}

inline RunStart run_start(const std::string& schedule = "schedules/paper/heating_profile.toml") {
  RunStart s;
  s.schedule_path = schedule;
  s.schedule_text = "[[steps]]\ntype = \"hold\"\ntemperature_K = 93.15\nduration_s = 600\n";
  s.sample_json = R"({"name":"Cu46Zr46Al8 as-cast","state":"as_cast"})";
  s.configuration_json = R"({"linkam":"serial:/dev/pts/3?baud=19200","speed":1000})";
  s.operator_name = "tester";
  s.software_version = "glasslab 0.1.0";
  s.start_mono_ns = kMonoOrigin_ns;
  s.start_utc_ns = kUtcOrigin_ns;
  return s;
}

/// One SQL value of a file, through a connection of its own (not the store's).
inline std::string sql_text(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* stmt = nullptr;
  std::string value = "<error>";
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) {
    const auto* text = sqlite3_column_text(stmt, 0);
    value = text ? reinterpret_cast<const char*>(text) : "<null>";
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return value;
}

}  // namespace glasslab::acquisition::test
