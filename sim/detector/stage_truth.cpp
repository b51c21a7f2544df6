#include "sim/detector/stage_truth.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>

#include <fmt/format.h>

#include "core/error.hpp"

namespace glasslab::sim::detector {

std::string ConstantTruth::description() const { return fmt::format("constant {} K", T_K_); }

std::optional<double> RampTruth::true_T_K(double t_s) {
  const double T = start_K_ + rate_K_per_min_ / 60.0 * std::max(0.0, t_s);
  return rate_K_per_min_ >= 0 ? std::min(T, end_K_) : std::max(T, end_K_);
}

std::string RampTruth::description() const {
  return fmt::format("ramp {} K at {} K/min to {} K", start_K_, rate_K_per_min_, end_K_);
}

TruthLogFile::TruthLogFile(std::string path, double time_offset_s) : path_(std::move(path)), time_offset_s_(time_offset_s) {
  in_.open(path_);
  if (!in_) throw UsageError(fmt::format("stage truth log '{}' cannot be opened", path_));
}

void TruthLogFile::read_new_lines() {
  // Follow the file as the Linkam simulator appends to it; a line without its newline yet is
  // kept until the rest arrives.
  in_.clear();
  std::string chunk;
  char buffer[4096];
  while (in_.read(buffer, sizeof buffer) || in_.gcount() > 0) chunk.append(buffer, static_cast<std::size_t>(in_.gcount()));
  in_.clear();
  partial_line_ += chunk;
  std::size_t start = 0;
  for (std::size_t nl; (nl = partial_line_.find('\n', start)) != std::string::npos; start = nl + 1)
    parse_line(partial_line_.substr(start, nl - start));
  partial_line_.erase(0, start);
}

void TruthLogFile::parse_line(const std::string& raw) {
  if (raw.empty() || raw[0] == '#') return;
  std::vector<std::string> fields;
  {
    std::string field;
    for (char c : raw) {
      if (c == ',' || c == ' ' || c == '\t' || c == '\r') {
        if (!field.empty()) fields.push_back(std::move(field));
        field.clear();
      } else {
        field += c;
      }
    }
    if (!field.empty()) fields.push_back(std::move(field));
  }
  if (fields.size() < 2) return;
  if (!header_seen_ && !(std::isdigit(static_cast<unsigned char>(fields[0][0])) || fields[0][0] == '-')) {
    // The header names the columns (docs/simulators.md, "--truth-log").
    header_seen_ = true;
    for (std::size_t i = 0; i < fields.size(); ++i)
      if (fields[i] == "clock_mono_ns") mono_column_ = static_cast<int>(i);
    return;
  }
  double key = 0, T = 0;
  try {
    T = std::stod(fields[1]);
    if (mono_column_ >= 0) {
      if (static_cast<std::size_t>(mono_column_) >= fields.size()) return;
      key = static_cast<double>(std::stoll(fields[static_cast<std::size_t>(mono_column_)])) * 1e-9;
    } else {
      key = std::stod(fields[0]);
    }
  } catch (const std::exception&) {
    return;  // a torn or foreign line: skip it
  }
  if (!times_s_.empty() && key <= times_s_.back()) return;
  times_s_.push_back(key);
  temperatures_K_.push_back(T);
}

std::optional<double> TruthLogFile::true_T_K(double t_s) {
  if (times_s_.empty()) read_new_lines();
  // Keyed on the shared clock: experiment seconds since the detector started cannot be placed on it.
  if (mono_column_ >= 0) return std::nullopt;
  return lookup(t_s + time_offset_s_);
}

std::optional<double> TruthLogFile::true_T_K_at(std::int64_t mono_ns, double t_s) {
  if (times_s_.empty()) read_new_lines();
  if (mono_column_ >= 0) return lookup(static_cast<double>(mono_ns) * 1e-9 + time_offset_s_);
  return lookup(t_s + time_offset_s_);
}

std::optional<double> TruthLogFile::lookup(double t) {
  if (times_s_.empty() || t > times_s_.back()) read_new_lines();
  if (times_s_.empty() || t > times_s_.back()) return std::nullopt;
  if (t <= times_s_.front()) return temperatures_K_.front();
  const auto it = std::upper_bound(times_s_.begin(), times_s_.end(), t);
  const auto i = static_cast<std::size_t>(it - times_s_.begin());
  const double w = (t - times_s_[i - 1]) / (times_s_[i] - times_s_[i - 1]);
  return temperatures_K_[i - 1] + w * (temperatures_K_[i] - temperatures_K_[i - 1]);
}

std::unique_ptr<StageTruth> make_stage_truth(const std::string& spec, double time_offset_s) {
  auto numbers_after = [&](std::size_t prefix) {
    std::vector<double> values;
    std::istringstream in(spec.substr(prefix));
    std::string item;
    while (std::getline(in, item, ':')) {
      try {
        values.push_back(std::stod(item));
      } catch (const std::exception&) {
        throw UsageError(fmt::format("--stage-truth '{}': '{}' is not a number", spec, item));
      }
    }
    return values;
  };
  if (spec.rfind("const:", 0) == 0) {
    const auto v = numbers_after(6);
    if (v.size() != 1) throw UsageError(fmt::format("--stage-truth '{}': expected const:T_K", spec));
    return std::make_unique<ConstantTruth>(v[0]);
  }
  if (spec.rfind("ramp:", 0) == 0) {
    const auto v = numbers_after(5);
    if (v.size() != 3)
      throw UsageError(fmt::format("--stage-truth '{}': expected ramp:START_K:RATE_K_PER_MIN:END_K", spec));
    return std::make_unique<RampTruth>(v[0], v[1], v[2]);
  }
  return std::make_unique<TruthLogFile>(spec, time_offset_s);
}

}  // namespace glasslab::sim::detector
