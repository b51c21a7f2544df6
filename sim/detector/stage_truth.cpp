#include "sim/detector/stage_truth.hpp"

#include <algorithm>
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
  for (std::size_t nl; (nl = partial_line_.find('\n', start)) != std::string::npos; start = nl + 1) {
    const std::string line = partial_line_.substr(start, nl - start);
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    double t = 0, T = 0;
    if (!(fields >> t >> T)) continue;  // a header line without '#': skip it
    if (!times_s_.empty() && t <= times_s_.back()) continue;
    times_s_.push_back(t);
    temperatures_K_.push_back(T);
  }
  partial_line_.erase(0, start);
}

std::optional<double> TruthLogFile::true_T_K(double t_s) {
  const double t = t_s + time_offset_s_;
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
