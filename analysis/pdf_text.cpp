// Parser for PDFgetX3 `.gr` files and plain column text (see pdf_text.hpp).
#include "analysis/pdf_text.hpp"

#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "core/error.hpp"

namespace glasslab::analysis {
namespace {

constexpr std::string_view kDataMarker = "#### start data";

std::string_view trim(std::string_view s) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

/// Splits on spaces, tabs and commas (plain exports sometimes use commas).
std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == ',')) ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != ',') ++i;
    if (i > start) fields.push_back(line.substr(start, i - start));
  }
  return fields;
}

double parse_number(std::string_view field, std::string_view source, int line_no, int column) {
  double value = 0;
  const char* begin = field.data();
  const char* end = field.data() + field.size();
  if (!field.empty() && *begin == '+') ++begin;  // from_chars rejects a leading '+'
  const auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr != end || !std::isfinite(value)) {
    throw ProtocolError(fmt::format("{}:{}: column {} is not a finite number: '{}'", source, line_no,
                                    column, field));
  }
  return value;
}

/// Index of the first data line: after the PDFgetX3 marker if present, else 0.
struct HeaderScan {
  std::size_t data_offset = 0;
  int data_first_line = 1;
  bool found_marker = false;
  std::map<std::string, std::string> header;
};

HeaderScan scan_header(std::string_view text) {
  HeaderScan scan;
  std::size_t pos = 0;
  int line_no = 1;
  std::map<std::string, std::string> entries;
  while (pos < text.size()) {
    const std::size_t eol = std::min(text.find('\n', pos), text.size());
    const std::string_view line = trim(text.substr(pos, eol - pos));
    if (line.substr(0, kDataMarker.size()) == kDataMarker) {
      scan.data_offset = eol + 1;
      scan.data_first_line = line_no + 1;
      scan.found_marker = true;
      scan.header = std::move(entries);
      return scan;
    }
    if (const auto eq = line.find('='); eq != std::string_view::npos && !line.starts_with('#')) {
      entries.emplace(std::string(trim(line.substr(0, eq))), std::string(trim(line.substr(eq + 1))));
    }
    pos = eol + 1;
    ++line_no;
  }
  return scan;  // no marker: plain text, the whole input is data with comments
}

}  // namespace

std::optional<double> PdfData::rpoly_A() const {
  const auto it = header.find("rpoly");
  if (it == header.end()) return std::nullopt;
  double value = 0;
  const auto [ptr, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), value);
  if (ec != std::errc() || !std::isfinite(value)) return std::nullopt;
  return value;
}

PdfData parse_pdf_text(std::string_view text, std::string_view source_name) {
  HeaderScan scan = scan_header(text);
  PdfData data;
  data.pdfgetx3_header = scan.found_marker;
  data.header = std::move(scan.header);

  std::size_t pos = scan.data_offset;
  int line_no = scan.data_first_line;
  std::size_t column_count = 0;
  int first_data_line = 0;
  while (pos < text.size()) {
    const std::size_t eol = std::min(text.find('\n', pos), text.size());
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    const int this_line = line_no++;
    if (const auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    line = trim(line);
    if (line.empty()) continue;  // blank, comment, `#S 1`, `#L r G` lines
    const auto fields = split_fields(line);
    if (fields.size() < 2 || fields.size() > 4) {
      throw ProtocolError(fmt::format("{}:{}: expected 2 to 4 columns (r G, r G dG or r G dr dG), found {}: '{}'",
                                      source_name, this_line, fields.size(), line));
    }
    if (column_count == 0) {
      column_count = fields.size();
      first_data_line = this_line;
    } else if (fields.size() != column_count) {
      throw ProtocolError(fmt::format("{}:{}: {} columns where line {} had {}: '{}'", source_name,
                                      this_line, fields.size(), first_data_line, column_count, line));
    }
    const double r = parse_number(fields[0], source_name, this_line, 1);
    const double G = parse_number(fields[1], source_name, this_line, 2);
    if (r < 0) {
      throw ProtocolError(fmt::format("{}:{}: negative radius r = {}", source_name, this_line, r));
    }
    if (!data.r_A.empty() && r <= data.r_A.back()) {
      throw ProtocolError(fmt::format("{}:{}: r = {} does not increase (previous r = {})", source_name,
                                      this_line, fields[0], data.r_A.back()));
    }
    data.r_A.push_back(r);
    data.G_per_A2.push_back(G);
    if (column_count == 3) data.dG_per_A2.push_back(parse_number(fields[2], source_name, this_line, 3));
    if (column_count == 4) data.dG_per_A2.push_back(parse_number(fields[3], source_name, this_line, 4));
  }
  if (data.r_A.size() < 3) {
    throw ProtocolError(fmt::format("{}: {} data rows, need at least 3 (r, G) rows{}", source_name,
                                    data.r_A.size(),
                                    scan.found_marker ? " after '#### start data'" : ""));
  }
  return data;
}

}  // namespace glasslab::analysis
