#pragma once
// Shared by the schedules tests: fixture paths, the error text a fixture produces, and the line a
// key sits on (found in the fixture's text, so no test hard-codes a line number).
#include <fstream>
#include <sstream>
#include <string>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "core/error.hpp"
#include "schedules/schedule.hpp"

namespace glasslab::schedules::testing {

inline std::string fixture_path(const std::string& name) {
  return std::string(GLASSLAB_SOURCE_DIR) + "/tests/unit/schedules/fixtures/" + name;
}

inline std::string read_text(const std::string& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), "cannot open ", path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// The ScheduleError message of loading a fixture; fails the test if it loads cleanly.
inline std::string errors_of(const std::string& name) {
  try {
    load_schedule_file(fixture_path(name));
  } catch (const ScheduleError& e) {
    return e.what();
  }
  FAIL("fixture ", name, " loaded without errors");
  return {};
}

/// 1-based line of the first line of `text` containing `needle` (0 when absent).
inline int line_of(const std::string& text, const std::string& needle) {
  std::istringstream lines(text);
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number)
    if (line.find(needle) != std::string::npos) return number;
  return 0;
}

/// The line of `needle` in the n-th (1-based) occurrence context: the first line containing
/// `needle` after the n-th "[[step]]" header.
inline int line_in_step(const std::string& text, int step_number, const std::string& needle) {
  std::istringstream lines(text);
  std::string line;
  int steps_seen = 0;
  for (int number = 1; std::getline(lines, line); ++number) {
    if (line.rfind("[[step]]", 0) == 0) {
      ++steps_seen;
      if (steps_seen == step_number && needle == "[[step]]") return number;
    }
    if (steps_seen == step_number && line.find(needle) != std::string::npos) return number;
  }
  return 0;
}

/// The message line that starts with "file:line:" and names `key`; "" when there is none.
inline std::string line_for(const std::string& errors, const std::string& file, int line, const std::string& key) {
  std::istringstream lines(errors);
  std::string text;
  const std::string prefix = fmt::format("{}:{}:", file, line);
  while (std::getline(lines, text))
    if (text.rfind(prefix, 0) == 0 && text.find(key) != std::string::npos) return text;
  return {};
}

inline int count_lines(const std::string& text) {
  if (text.empty()) return 0;
  int count = 1;
  for (char c : text) count += c == '\n';
  return count;
}

}  // namespace glasslab::schedules::testing
