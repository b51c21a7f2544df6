// TRIOS JSON export (TRIOSJSONExportSchema, as read by TA-Instruments/tadatakit): Results (or a
// named data set inside it, e.g. Results.Processed) with ColumnHeaders {key: {DisplayName,
// ValueType, Unit{Name}}} and Rows [{key: value}], and Procedure.Steps[].ResultsMapping
// {StartIndex, Count} telling which rows belong to which step. Keys are localised
// ("Temperatur_°C"), so columns are matched on DisplayName + Unit, never on the key.
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "drivers/rheometer/trios/column_map.hpp"
#include "drivers/rheometer/trios/trios_export.hpp"

namespace glasslab::rheometer::trios {

namespace {

using Json = nlohmann::ordered_json;  // array rows are positional: keep the header order

const Json* find_dataset(const Json& results) {
  if (results.contains("ColumnHeaders") && results.contains("Rows")) return &results;
  for (const auto& [name, value] : results.items()) {
    if (value.is_object() && value.contains("ColumnHeaders") && value.contains("Rows")) return &value;
  }
  return nullptr;
}

std::string text_of(const Json& object, const char* key) {
  if (!object.is_object()) return {};
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// ResultsMapping.StartIndex / .Count of Procedure.Steps[step]: integers, or the export is damaged
// (nlohmann's value() would throw type_error, or convert 1e300 with undefined behaviour).
std::int64_t mapping_integer(const Json& mapping, const char* key, std::size_t step, const std::string& source) {
  if (!mapping.is_object()) {
    throw ProtocolError(fmt::format("{}: Procedure.Steps[{}].ResultsMapping is not an object: {}", source, step,
                                    mapping.dump()));
  }
  const auto it = mapping.find(key);
  if (it == mapping.end()) return 0;
  if (!it->is_number_integer()) {
    throw ProtocolError(fmt::format("{}: Procedure.Steps[{}].ResultsMapping.{} is not an integer: {}", source, step,
                                    key, it->dump()));
  }
  return it->get<std::int64_t>();
}

// Step name for each row: from ResultsMapping {StartIndex, Count}, else via "Results Step Id".
std::vector<std::string> step_names_for_rows(const Json& root, const Json& dataset, std::size_t row_count,
                                             const std::string& source) {
  std::vector<std::string> names(row_count);
  const Json* steps = nullptr;
  if (root.contains("Procedure") && root["Procedure"].contains("Steps")) steps = &root["Procedure"]["Steps"];
  if (steps && steps->is_array()) {
    for (std::size_t s = 0; s < steps->size(); ++s) {
      const Json& step = (*steps)[s];
      if (!step.contains("ResultsMapping")) continue;
      const std::int64_t start = mapping_integer(step["ResultsMapping"], "StartIndex", s, source);
      const std::int64_t count = mapping_integer(step["ResultsMapping"], "Count", s, source);
      // Rows [start, start + count) clipped to the rows present; start + count is formed only
      // when it is <= rows (a damaged export can hold any int64).
      const auto rows = static_cast<std::int64_t>(row_count);
      if (count <= 0 || start >= rows) continue;
      const std::int64_t end = start > rows - count ? rows : start + count;
      for (std::int64_t i = std::max<std::int64_t>(start, 0); i < end; ++i)
        names[static_cast<std::size_t>(i)] = text_of(step, "Name");
    }
  }
  if (dataset.contains("ResultsSteps") && dataset["ResultsSteps"].is_array()) {
    std::map<std::string, std::string> by_id;
    for (const auto& s : dataset["ResultsSteps"]) by_id[text_of(s, "Id")] = text_of(s, "Name");
    const auto& rows = dataset["Rows"];
    for (std::size_t i = 0; i < row_count; ++i) {
      if (!names[i].empty() || !rows[i].is_object()) continue;
      const auto id = rows[i].find("Results Step Id");
      if (id != rows[i].end() && id->is_string()) names[i] = by_id[id->get<std::string>()];
    }
  }
  return names;
}

std::optional<Mode> mode_from_procedure(const Json& root) {
  const Json* configurations = nullptr;
  if (root.contains("Procedure") && root["Procedure"].contains("Configuration"))
    configurations = &root["Procedure"]["Configuration"];
  if (configurations && configurations->contains("InstrumentConfigurations")) {
    for (const auto& instrument : (*configurations)["InstrumentConfigurations"]) {
      if (instrument.contains("Geometry"))
        if (auto mode = mode_from_text(text_of(instrument["Geometry"], "Name"))) return mode;
    }
  }
  if (root.contains("Procedure") && root["Procedure"].contains("Steps")) {
    for (const auto& step : root["Procedure"]["Steps"])
      if (auto mode = mode_from_text(text_of(step, "Name"))) return mode;
  }
  return std::nullopt;
}

}  // namespace

TriosExport parse_json_export(std::string_view text, const std::string& source, const ParseOptions& options) {
  Json root;
  try {
    root = Json::parse(text);
  } catch (const Json::exception& e) {  // parse_error, and out_of_range for a number like 1e400
    throw ProtocolError(fmt::format("{}: not valid JSON: {}", source, e.what()));
  }
  TriosExport out;
  out.source = source;
  out.format = "json";
  if (!root.is_object() || !root.contains("Results"))
    throw ProtocolError(fmt::format("{}: no 'Results' object (not a TRIOS JSON export)", source));
  const Json* dataset = find_dataset(root["Results"]);
  if (!dataset) throw ProtocolError(fmt::format("{}: 'Results' holds no ColumnHeaders/Rows data set", source));
  if (root.contains("Sample")) out.sample_name = text_of(root["Sample"], "Name");
  if (root.contains("Procedure")) out.procedure_name = text_of(root["Procedure"], "Name");

  // Columns in header order: display name and unit from the header, else from the key.
  std::vector<std::string> keys;
  std::vector<std::pair<std::string, std::string>> columns;
  for (const auto& [key, header] : (*dataset)["ColumnHeaders"].items()) {
    auto [name, unit] = split_json_key(key);
    if (header.is_object()) {
      if (auto display = text_of(header, "DisplayName"); !display.empty()) name = display;
      if (header.contains("Unit")) unit = text_of(header["Unit"], "Name");
      else if (header.contains("DisplayName")) unit.clear();
    }
    keys.push_back(key);
    columns.emplace_back(name, unit);
  }
  const ColumnMap map(columns);
  if (const auto missing = map.missing_required(); !missing.empty())
    throw ProtocolError(fmt::format("{}: Results.ColumnHeaders has no {} column", source, missing));

  const auto& rows = (*dataset)["Rows"];
  if (!rows.is_array()) throw ProtocolError(fmt::format("{}: Results.Rows is not an array", source));
  const auto step_names = step_names_for_rows(root, *dataset, rows.size(), source);
  std::size_t skipped = 0;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const Json& row = rows[r];
    auto cell = [&](std::size_t index) -> const Json* {
      if (row.is_object()) {
        const auto it = row.find(keys[index]);
        return it == row.end() ? nullptr : &*it;
      }
      if (row.is_array() && index < row.size()) return &row[index];
      return nullptr;
    };
    auto number = [&](const MappedColumn& column) -> std::optional<double> {
      const Json* value = cell(column.index);
      if (!value || value->is_null()) return std::nullopt;
      if (value->is_number()) return value->get<double>();
      if (value->is_string()) {
        try {
          return parse_cell_number(value->get_ref<const std::string&>());
        } catch (const std::invalid_argument& e) {
          throw ProtocolError(fmt::format("{}: Results.Rows[{}]: column '{}': {}", source, r, keys[column.index], e.what()));
        }
      }
      throw ProtocolError(fmt::format("{}: Results.Rows[{}]: column '{}': {} is not a number", source, r,
                                      keys[column.index], value->dump()));
    };
    std::string reason;
    std::optional<TriosPoint> point;
    try {
      point = map.build(number, reason);
    } catch (const std::invalid_argument& e) {
      throw ProtocolError(fmt::format("{}: Results.Rows[{}]: {}", source, r, e.what()));
    }
    if (!point) {
      ++skipped;
      if (out.warnings.size() < 20) out.warnings.push_back(fmt::format("{}: Results.Rows[{}] skipped: {}", source, r, reason));
      continue;
    }
    point->step = step_names[r];
    point->source_line = r;
    if (const auto& date = map.column(Quantity::date_time)) {
      const Json* value = cell(date->index);
      if (value && value->is_string()) {
        try {
          point->utc_ns = parse_date_time_utc_ns(value->get_ref<const std::string&>(), DateOrder::iso, options.utc_offset_minutes);
        } catch (const std::invalid_argument& e) {
          throw ProtocolError(fmt::format("{}: Results.Rows[{}]: column '{}': {}", source, r, keys[date->index], e.what()));
        }
      }
    }
    out.points.push_back(std::move(*point));
  }
  if (skipped > 20) out.warnings.push_back(fmt::format("{}: {} rows skipped in all", source, skipped));
  if (out.points.empty()) throw ProtocolError(fmt::format("{}: Results.Rows holds no usable point", source));
  if (const auto start = text_of(root, "StartTime"); !start.empty()) {
    try {
      out.run_start_utc_ns = parse_date_time_utc_ns(start, DateOrder::iso, options.utc_offset_minutes);
    } catch (const std::invalid_argument&) {
      out.warnings.push_back(fmt::format("{}: StartTime '{}' not understood", source, start));
    }
  }
  if (!out.run_start_utc_ns && out.points.front().utc_ns) out.run_start_utc_ns = out.points.front().utc_ns;

  std::optional<Mode> evidence = mode_from_procedure(root);
  if (!evidence) evidence = map.mode_from_columns();
  out.mode_known = options.mode.has_value() || evidence.has_value();
  out.mode = options.mode ? *options.mode : evidence.value_or(Mode::torsion);
  if (!out.mode_known) out.warnings.push_back(fmt::format("{}: mode not stated; torsion assumed", source));
  for (auto& p : out.points) p.mode = out.mode;
  return out;
}

TriosExport read_export(const std::filesystem::path& path, const ParseOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ProtocolError(fmt::format("{}: cannot open", path.string()));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  const auto first = text.find_first_not_of(" \t\r\n\xEF\xBB\xBF");
  if (first != std::string::npos && text[first] == '{') return parse_json_export(text, path.string(), options);
  return parse_lims_text(text, path.string(), options);
}

}  // namespace glasslab::rheometer::trios
