#pragma once
// Internal to schedules/: reads one TOML table key by key, recording where each value came from
// and collecting (not throwing) every structural problem: unknown key, missing key, wrong type,
// wrong unit. Only reader.cpp and table_reader.cpp include toml++ (it is heavy to compile).
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "schedules/schedule.hpp"
#include "schedules/validate.hpp"

namespace glasslab::schedules::detail {

/// Everything the reader learned about a file besides the model itself.
struct Collector {
  std::string file;
  std::vector<Diagnostic> diagnostics;
  std::map<std::string, SourceLocation> locations;
  /// Paths whose value could not be read: semantic checks on them would only repeat the problem.
  std::set<std::string> unreadable;
  /// Step prefixes ("step[3]") whose kind is unknown: nothing more is said about them.
  std::set<std::string> unreadable_prefixes;

  SourceLocation location(const toml::source_region& region) const;
  void error(const SourceLocation& where, std::string key, std::string message, std::string value = {});
};

/// Reads the keys of one table. Each accessor marks its key as known (so `finish` can tell an
/// unknown key from a known one that was simply absent) and records its location.
class TableReader {
public:
  /// `path` is the table's diagnostic path ("" for the document root, "step[2]", "step[2].xrd").
  TableReader(const toml::table& table, std::string path, Collector& collector);

  std::optional<double> number(std::string_view key, bool required, std::string_view what = "a number");
  std::optional<int> integer(std::string_view key, bool required);
  std::optional<std::string> string(std::string_view key, bool required);
  std::optional<bool> boolean(std::string_view key, bool required);
  std::optional<std::vector<double>> numbers(std::string_view key, bool required);
  /// A sub-table (`[a.b]` or inline `b = { ... }`); nullptr when absent or of the wrong type.
  const toml::table* table(std::string_view key, bool required);
  /// An array of tables (`[[step]]`); nullptr when absent or of the wrong type.
  const toml::array* table_array(std::string_view key, bool required);

  /// Declares a key as allowed without reading it (read elsewhere).
  void allow(std::string_view key) { known_.emplace_back(key); }

  /// Reports unknown keys (with the closest known key, or the right unit) and the required keys
  /// that were missing and not explained by a wrong-unit key. `elsewhere(key)` may return a hint
  /// such as "a key of hold steps, not of ramp steps" for keys that belong to a sibling table.
  void finish(const std::function<std::string(std::string_view)>& elsewhere = {});

  std::string path_of(std::string_view key) const;
  SourceLocation where() const;

private:
  const toml::node* fetch(std::string_view key, bool required);
  void wrong_type(std::string_view key, const toml::node& node, std::string_view expected);

  const toml::table& table_;
  std::string path_;
  Collector& collector_;
  std::vector<std::string> known_;
  std::vector<std::string> missing_;
};

/// A TOML value as an operator would write it, for the "(value)" part of a diagnostic.
std::string show_value(const toml::node& node);

}  // namespace glasslab::schedules::detail
