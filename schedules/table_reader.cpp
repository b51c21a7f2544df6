#include "schedules/table_reader.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

#include <fmt/format.h>

#include "schedules/key_hints.hpp"

namespace glasslab::schedules::detail {
namespace {

std::string_view type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    default: return "nothing";
  }
}

/// "93.15 K", "10 K/min", "-180 C": a number followed by a unit, written as a string.
bool looks_like_quantity(std::string_view text) {
  std::size_t i = 0;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
  const std::size_t digits_start = i;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  return i > digits_start && i < text.size();
}

}  // namespace

std::string show_value(const toml::node& node) {
  if (auto s = node.value<std::string>()) return fmt::format("\"{}\"", *s);
  if (auto i = node.as_integer()) return fmt::format("{}", i->get());
  if (auto d = node.as_floating_point()) return fmt::format("{}", d->get());
  if (auto b = node.as_boolean()) return b->get() ? "true" : "false";
  if (auto a = node.as_array()) {
    std::string out = "[";
    for (std::size_t i = 0; i < a->size() && i < 8; ++i) out += (i ? ", " : "") + show_value((*a)[i]);
    return out + (a->size() > 8 ? ", ...]" : "]");
  }
  if (node.is_table()) return {};  // a whole table says nothing more than its key
  return std::string(type_name(node));
}

SourceLocation Collector::location(const toml::source_region& region) const {
  return SourceLocation{file, static_cast<int>(region.begin.line), static_cast<int>(region.begin.column)};
}

void Collector::error(const SourceLocation& where, std::string key, std::string message, std::string value) {
  diagnostics.push_back(Diagnostic{Severity::error, where, std::move(key), std::move(message), std::move(value)});
}

TableReader::TableReader(const toml::table& table, std::string path, Collector& collector)
    : table_(table), path_(std::move(path)), collector_(collector) {
  collector_.locations.emplace(path_.empty() ? std::string("(document)") : path_, where());
}

std::string TableReader::path_of(std::string_view key) const {
  return path_.empty() ? std::string(key) : fmt::format("{}.{}", path_, key);
}

SourceLocation TableReader::where() const {
  SourceLocation loc = collector_.location(table_.source());
  if (loc.line == 0) loc = SourceLocation{collector_.file, 1, 1};  // the implicit root table
  return loc;
}

const toml::node* TableReader::fetch(std::string_view key, bool required) {
  known_.emplace_back(key);
  const toml::node* node = table_.get(key);
  if (!node) {
    if (required) missing_.emplace_back(key);
    return nullptr;
  }
  // Keys point at the key itself: that is where an operator looks for "temperature_K".
  const toml::key* written_key = nullptr;
  if (auto it = table_.find(key); it != table_.end()) written_key = &it->first;
  collector_.locations[path_of(key)] =
      collector_.location(written_key ? written_key->source() : node->source());
  return node;
}

void TableReader::wrong_type(std::string_view key, const toml::node& node, std::string_view expected) {
  std::string message = fmt::format("wrong type: expected {}, got {}", expected, type_name(node));
  if (auto text = node.value<std::string>(); text && looks_like_quantity(*text))
    message += "; write the number alone, the unit is in the key name";
  const std::string path = path_of(key);
  collector_.unreadable.insert(path);
  collector_.error(collector_.locations[path], path, message, show_value(node));
}

std::optional<double> TableReader::number(std::string_view key, bool required, std::string_view what) {
  const toml::node* node = fetch(key, required);
  if (!node) return std::nullopt;
  if (!node->is_number()) {
    wrong_type(key, *node, what);
    return std::nullopt;
  }
  const double value = *node->value<double>();
  if (!std::isfinite(value)) {
    const std::string path = path_of(key);
    collector_.unreadable.insert(path);
    collector_.error(collector_.locations[path], path, "must be a finite number", show_value(*node));
    return std::nullopt;
  }
  return value;
}

std::optional<int> TableReader::integer(std::string_view key, bool required) {
  const toml::node* node = fetch(key, required);
  if (!node) return std::nullopt;
  const auto* value = node->as_integer();
  if (!value || value->get() < -1'000'000'000 || value->get() > 1'000'000'000) {
    wrong_type(key, *node, "an integer");
    return std::nullopt;
  }
  return static_cast<int>(value->get());
}

std::optional<std::string> TableReader::string(std::string_view key, bool required) {
  const toml::node* node = fetch(key, required);
  if (!node) return std::nullopt;
  if (!node->is_string()) {
    wrong_type(key, *node, "a string");
    return std::nullopt;
  }
  return *node->value<std::string>();
}

std::optional<bool> TableReader::boolean(std::string_view key, bool required) {
  const toml::node* node = fetch(key, required);
  if (!node) return std::nullopt;
  if (!node->is_boolean()) {
    wrong_type(key, *node, "true or false");
    return std::nullopt;
  }
  return *node->value<bool>();
}

std::optional<std::vector<double>> TableReader::numbers(std::string_view key, bool required) {
  const toml::node* node = fetch(key, required);
  if (!node) return std::nullopt;
  const toml::array* array = node->as_array();
  if (!array) {
    wrong_type(key, *node, "an array of numbers, e.g. [0.05, 0.5, 3]");
    return std::nullopt;
  }
  std::vector<double> values;
  for (const toml::node& element : *array) {
    if (!element.is_number() || !std::isfinite(*element.value<double>())) {
      wrong_type(key, *node, "an array of numbers, e.g. [0.05, 0.5, 3]");
      return std::nullopt;
    }
    values.push_back(*element.value<double>());
  }
  return values;
}

const toml::table* TableReader::table(std::string_view key, bool required) {
  const toml::node* node = fetch(key, required);
  if (!node) return nullptr;
  if (!node->is_table()) {
    wrong_type(key, *node, fmt::format("a table: [{}] or {} = {{ ... }}", path_of(key), key));
    return nullptr;
  }
  return node->as_table();
}

const toml::array* TableReader::table_array(std::string_view key, bool required) {
  const toml::node* node = fetch(key, required);
  if (!node) return nullptr;
  const toml::array* array = node->as_array();
  if (!array || !array->is_array_of_tables()) {
    wrong_type(key, *node, fmt::format("an array of tables: write [[{}]] before each one", key));
    return nullptr;
  }
  return array;
}

void TableReader::finish(const std::function<std::string(std::string_view)>& elsewhere) {
  std::set<std::string> explained;  // required keys whose absence a wrong-unit key explains
  for (const auto& [written_key, node] : table_) {
    const std::string_view key = written_key.str();
    if (std::find(known_.begin(), known_.end(), key) != known_.end()) continue;
    const std::string path = path_of(key);
    const SourceLocation at = collector_.location(written_key.source());
    collector_.locations[path] = at;
    const std::optional<double> value = node.is_number() ? node.value<double>() : std::nullopt;
    if (auto mismatch = unit_mismatch(key, known_, value)) {
      explained.insert(mismatch->expected_key);
      collector_.unreadable.insert(path_of(mismatch->expected_key));
      collector_.error(at, path, mismatch->message, show_value(node));
      continue;
    }
    std::string message = "unknown key";
    if (std::string hint = elsewhere ? elsewhere(key) : std::string(); !hint.empty()) {
      message += fmt::format(": {}", hint);
    } else if (std::string closest = closest_key(key, known_); !closest.empty()) {
      message += fmt::format(", did you mean {}?", closest);
      // A misspelt required key is one mistake, not two: no "missing key" for it as well.
      if (!table_.contains(closest)) {
        explained.insert(closest);
        collector_.unreadable.insert(path_of(closest));
      }
    } else {
      std::vector<std::string> sorted = known_;
      std::sort(sorted.begin(), sorted.end());
      message += fmt::format("; known keys here: {}", fmt::join(sorted, ", "));
    }
    collector_.error(at, path, message, show_value(node));
  }
  for (const auto& key : missing_) {
    if (explained.count(key)) continue;
    const std::string path = path_of(key);
    collector_.unreadable.insert(path);
    collector_.error(where(), path, "missing key");
  }
}

}  // namespace glasslab::schedules::detail
