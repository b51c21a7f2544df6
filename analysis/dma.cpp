// DMA: CSV parsing, grouping by frequency, per-frequency peak fits and Arrhenius fits (dma.hpp).
#include "analysis/dma.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

#include "core/error.hpp"

namespace glasslab::analysis {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split_csv(std::string_view line) {
  std::vector<std::string_view> cells;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = line.find(',', start);
    cells.push_back(trim(line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start)));
    if (comma == std::string_view::npos) return cells;
    start = comma + 1;
  }
}

double parse_cell(std::string_view cell, std::string_view column, std::string_view source, int line_no) {
  double value = 0;
  const char* begin = cell.data();
  if (!cell.empty() && *begin == '+') ++begin;
  const auto [ptr, ec] = std::from_chars(begin, cell.data() + cell.size(), value);
  if (cell.empty() || ec != std::errc() || ptr != cell.data() + cell.size() || !std::isfinite(value)) {
    throw ProtocolError(fmt::format("{}:{}: column {} is not a finite number: '{}'", source, line_no, column, cell));
  }
  return value;
}

}  // namespace

std::string_view to_string(DmaObservable observable) {
  return observable == DmaObservable::tan_delta ? "tan_delta" : "loss_modulus_Pa";
}

std::vector<DmaSample> parse_dma_csv(std::string_view text, std::string_view source_name, DmaObservable observable) {
  const std::string_view value_column = to_string(observable);
  std::vector<DmaSample> samples;
  int column_T = -1, column_f = -1, column_value = -1;
  std::size_t header_cells = 0;
  std::size_t pos = 0;
  int line_no = 0;
  while (pos < text.size()) {
    const std::size_t eol = std::min(text.find('\n', pos), text.size());
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    ++line_no;
    if (const auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    line = trim(line);
    if (line.empty()) continue;
    const auto cells = split_csv(line);
    if (column_T < 0 && column_f < 0 && column_value < 0 && header_cells == 0) {
      header_cells = cells.size();
      for (std::size_t c = 0; c < cells.size(); ++c) {
        if (cells[c] == "T_K") column_T = static_cast<int>(c);
        if (cells[c] == "frequency_Hz") column_f = static_cast<int>(c);
        if (cells[c] == value_column) column_value = static_cast<int>(c);
      }
      if (column_T < 0 || column_f < 0 || column_value < 0) {
        throw ProtocolError(fmt::format("{}:{}: header '{}' lacks one of the columns T_K, frequency_Hz, {}",
                                        source_name, line_no, line, value_column));
      }
      continue;
    }
    if (cells.size() != header_cells) {
      throw ProtocolError(fmt::format("{}:{}: {} cells where the header has {}: '{}'", source_name, line_no,
                                      cells.size(), header_cells, line));
    }
    DmaSample s;
    s.T_K = parse_cell(cells[column_T], "T_K", source_name, line_no);
    s.frequency_Hz = parse_cell(cells[column_f], "frequency_Hz", source_name, line_no);
    s.value = parse_cell(cells[column_value], value_column, source_name, line_no);
    if (s.T_K <= 0 || s.frequency_Hz <= 0) {
      throw ProtocolError(fmt::format("{}:{}: T_K = {} and frequency_Hz = {} must be positive", source_name, line_no,
                                      s.T_K, s.frequency_Hz));
    }
    samples.push_back(s);
  }
  if (header_cells == 0) throw ProtocolError(fmt::format("{}: no header row", source_name));
  if (samples.empty()) throw ProtocolError(fmt::format("{}: no data rows after the header", source_name));
  return samples;
}

std::vector<FrequencyData> group_by_frequency(std::span<const DmaSample> samples, double relative_tolerance) {
  std::vector<std::size_t> order(samples.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return samples[a].frequency_Hz < samples[b].frequency_Hz ||
           (samples[a].frequency_Hz == samples[b].frequency_Hz && samples[a].T_K < samples[b].T_K);
  });
  std::vector<FrequencyData> groups;
  for (const std::size_t i : order) {
    const DmaSample& s = samples[i];
    if (groups.empty() || s.frequency_Hz > groups.back().frequency_Hz * (1 + relative_tolerance)) {
      groups.push_back(FrequencyData{s.frequency_Hz, {}, {}});
    }
    groups.back().T_K.push_back(s.T_K);
    groups.back().value.push_back(s.value);
  }
  for (FrequencyData& g : groups) {  // sort each group by T (frequencies within tolerance may interleave)
    std::vector<std::size_t> by_T(g.T_K.size());
    std::iota(by_T.begin(), by_T.end(), 0);
    std::sort(by_T.begin(), by_T.end(), [&](std::size_t a, std::size_t b) { return g.T_K[a] < g.T_K[b]; });
    FrequencyData sorted{g.frequency_Hz, {}, {}};
    for (const std::size_t k : by_T) {
      sorted.T_K.push_back(g.T_K[k]);
      sorted.value.push_back(g.value[k]);
    }
    g = std::move(sorted);
  }
  return groups;
}

DmaAnalysis analyze_dma(std::span<const DmaSample> samples, const DmaAnalysisOptions& options) {
  DmaAnalysis analysis;
  analysis.observable = options.observable;
  analysis.data = group_by_frequency(samples, options.frequency_relative_tolerance);
  for (const FrequencyData& group : analysis.data) {
    analysis.fits.push_back(fit_loss_peaks(group.T_K, group.value, group.frequency_Hz, options.relaxations, options.peak_fit));
  }
  for (const RelaxationSpec& spec : options.relaxations) {
    RelaxationResult result;
    result.name = spec.name;
    for (const FrequencyFit& fit : analysis.fits) {
      for (const PeakFit& peak : fit.peaks) {
        if (peak.name == spec.name && peak.status == FitStatus::ok) {
          result.points.push_back(ArrheniusPoint{fit.frequency_Hz, *peak.Tp_K, peak.Tp_stderr_K});
        }
      }
    }
    result.arrhenius = fit_arrhenius(result.points);
    analysis.relaxations.push_back(std::move(result));
  }
  return analysis;
}

}  // namespace glasslab::analysis
