// TRIOS "Export to LIMS" text (/work/shared/reference/rheometer-dma.md; real example:
// 3mcloud/hermes-rheo tests/fileio/test_data/test_frequency_sweep_tts_ARES.txt): tab separated,
// INI-like [Sections] of "key<TAB>value" lines, then one [Step] block per step with `Step name`,
// `Number of points`, a `Variables` row, a `Units` row and rows starting with `Data point`.
#include <stdexcept>

#include <fmt/format.h>

#include "drivers/rheometer/trios/column_map.hpp"
#include "drivers/rheometer/trios/trios_export.hpp"

namespace glasslab::rheometer::trios {

namespace {

// TRIOS may write UTF-16LE with a BOM; everything else here is UTF-8 (BOM optional).
std::string to_utf8(std::string_view text) {
  if (text.size() >= 2 && static_cast<unsigned char>(text[0]) == 0xFF && static_cast<unsigned char>(text[1]) == 0xFE) {
    std::string out;
    out.reserve(text.size() / 2);
    for (std::size_t i = 2; i + 1 < text.size(); i += 2) {
      const unsigned code = static_cast<unsigned char>(text[i]) | (static_cast<unsigned char>(text[i + 1]) << 8);
      if (code < 0x80) {
        out += static_cast<char>(code);
      } else if (code < 0x800) {
        out += static_cast<char>(0xC0 | (code >> 6));
        out += static_cast<char>(0x80 | (code & 0x3F));
      } else {  // BMP only; TRIOS column names need no surrogates
        out += static_cast<char>(0xE0 | (code >> 12));
        out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code & 0x3F));
      }
    }
    return out;
  }
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  return std::string(text);
}

void split_tabs(std::string_view line, std::vector<std::string_view>& cells) {
  cells.clear();
  std::size_t begin = 0;
  while (true) {
    const auto tab = line.find('\t', begin);
    if (tab == std::string_view::npos) {
      cells.push_back(line.substr(begin));
      return;
    }
    cells.push_back(line.substr(begin, tab - begin));
    begin = tab + 1;
  }
}

bool is_one_of(const std::string& normalised, std::initializer_list<const char*> keys) {
  for (const char* key : keys) if (normalised == key) return true;
  return false;
}

struct PendingDate {
  std::size_t point;
  std::string_view cell;
  std::size_t line;
};

// State of the [Step] block being read.
struct StepBlock {
  std::string name;
  std::vector<std::pair<std::string, std::string>> columns;
  std::size_t variables_line = 0;
  std::optional<ColumnMap> map;
};

}  // namespace

TriosExport parse_lims_text(std::string_view raw, const std::string& source, const ParseOptions& options) {
  const std::string text = to_utf8(raw);
  TriosExport out;
  out.source = source;
  out.format = "lims-text";
  std::string section, section_key;
  StepBlock step;
  std::vector<std::string_view> cells;
  std::vector<PendingDate> dates;
  std::string_view run_date;
  std::optional<Mode> text_mode;
  std::size_t skipped = 0;

  std::size_t line_no = 0, begin = 0;
  while (begin < text.size()) {
    auto end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + begin, end - begin);
    begin = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (line.front() == '[' && line.back() == ']') {
      section = std::string(line.substr(1, line.size() - 2));
      section_key = normalise_name(section.substr(0, section.find(':')));
      if (section_key == "geometry" || section_key == "geometrie") text_mode = text_mode ? text_mode : mode_from_text(section);
      if (is_one_of(section_key, {"step", "schritt", "etape"})) step = StepBlock{};
      continue;
    }
    split_tabs(line, cells);
    const std::string key = normalise_name(cells[0]);
    const std::string_view value = cells.size() > 1 ? cells[1] : std::string_view();
    if (!is_one_of(section_key, {"step", "schritt", "etape"})) {
      if (section_key == "sample" || section_key == "probe" || section_key == "echantillon") {
        if (key == "name" && out.sample_name.empty()) out.sample_name = std::string(value);
      } else if (section_key == "procedure" || section_key == "prozedur") {
        if (out.procedure_name.empty() && (key == "procedurename" || key == "prozedurname" || key == "nomdelaprocedure"))
          out.procedure_name = std::string(value);
      } else if (section_key == "geometry" || section_key == "geometrie") {
        if (!text_mode) text_mode = mode_from_text(value);
      } else if (key == "instrumenttype" || key == "instrumenttyp") {
        out.instrument = std::string(value) + (out.instrument.empty() ? "" : " " + out.instrument);
      } else if (key == "instrumentserialnumber" && out.instrument.find(std::string(value)) == std::string::npos) {
        out.instrument += (out.instrument.empty() ? "" : " ") + std::string(value);
      } else if (key == "rundate" || key == "laufdatum" || key == "datedelessai") {
        run_date = value;
      }
      continue;
    }
    if (is_one_of(key, {"stepname", "schrittname", "nomdeletape"})) {
      step.name = std::string(value);
    } else if (is_one_of(key, {"variables", "variablen"})) {
      step.columns.clear();
      for (std::size_t i = 1; i < cells.size(); ++i) step.columns.emplace_back(std::string(cells[i]), std::string());
      step.variables_line = line_no;
      step.map.reset();
    } else if (is_one_of(key, {"units", "einheiten", "unites"})) {
      for (std::size_t i = 1; i < cells.size() && i <= step.columns.size(); ++i)
        step.columns[i - 1].second = std::string(cells[i]);
      step.map.reset();
    } else if (is_one_of(key, {"datapoint", "datenpunkt", "pointdedonnees", "point"})) {
      if (step.columns.empty())
        throw ProtocolError(fmt::format("{}:{}: data row before any Variables row", source, line_no));
      if (!step.map) {
        step.map.emplace(step.columns);
        if (const auto missing = step.map->missing_required(); !missing.empty())
          throw ProtocolError(fmt::format("{}:{}: step '{}' has no {} column (Variables row)", source,
                                          step.variables_line, step.name, missing));
      }
      auto number = [&](const MappedColumn& column) -> std::optional<double> {
        const std::size_t cell = column.index + 1;  // cell 0 is "Data point"
        if (cell >= cells.size()) return std::nullopt;
        try {
          return parse_cell_number(cells[cell]);
        } catch (const std::invalid_argument& e) {
          throw ProtocolError(fmt::format("{}:{}: column '{}': {}", source, line_no, column.label, e.what()));
        }
      };
      std::string reason;
      std::optional<TriosPoint> point;
      try {
        point = step.map->build(number, reason);
      } catch (const std::invalid_argument& e) {
        throw ProtocolError(fmt::format("{}:{}: {}", source, line_no, e.what()));
      }
      if (!point) {
        ++skipped;
        if (out.warnings.size() < 20) out.warnings.push_back(fmt::format("{}:{}: row skipped: {}", source, line_no, reason));
        continue;
      }
      point->step = step.name;
      point->source_line = line_no;
      if (const auto& date_column = step.map->column(Quantity::date_time); date_column && date_column->index + 1 < cells.size())
        dates.push_back({out.points.size(), cells[date_column->index + 1], line_no});
      if (!text_mode) text_mode = step.map->mode_from_columns();
      out.points.push_back(std::move(*point));
    }
  }

  // Dates last: the day/month order is decided once for the whole file.
  std::vector<std::string_view> date_cells;
  for (const auto& d : dates) date_cells.push_back(d.cell);
  if (!run_date.empty()) date_cells.push_back(run_date);
  const DateOrder order = infer_date_order(date_cells);
  for (const auto& d : dates) {
    try {
      out.points[d.point].utc_ns = parse_date_time_utc_ns(d.cell, order, options.utc_offset_minutes);
    } catch (const std::invalid_argument& e) {
      throw ProtocolError(fmt::format("{}:{}: column 'Date and time': {}", source, d.line, e.what()));
    }
  }
  try {
    if (!run_date.empty()) out.run_start_utc_ns = parse_date_time_utc_ns(run_date, order, options.utc_offset_minutes);
  } catch (const std::invalid_argument&) {
    out.warnings.push_back(fmt::format("{}: run date '{}' not understood", source, run_date));
  }
  if (skipped > 20) out.warnings.push_back(fmt::format("{}: {} rows skipped in all", source, skipped));
  if (out.points.empty()) throw ProtocolError(fmt::format("{}: no [Step] data points found", source));

  out.mode_known = options.mode.has_value() || text_mode.has_value();
  out.mode = options.mode ? *options.mode : text_mode.value_or(Mode::torsion);
  if (!out.mode_known) out.warnings.push_back(fmt::format("{}: mode not stated; torsion assumed", source));
  for (auto& p : out.points) p.mode = out.mode;
  return out;
}

}  // namespace glasslab::rheometer::trios
