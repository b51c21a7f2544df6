#include "acquisition/xrd/temperature_interpolation.hpp"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

namespace glasslab::acquisition::xrd {

namespace {
double line_through(const StageReading& a, const StageReading& b, std::int64_t t) {
  if (b.t_mono_ns == a.t_mono_ns) return b.T_K;
  const double w = static_cast<double>(t - a.t_mono_ns) / static_cast<double>(b.t_mono_ns - a.t_mono_ns);
  return a.T_K + w * (b.T_K - a.T_K);
}
/// Least-squares line through the readings within kFitHalfWindow_ns of t, evaluated at t
/// (times relative to t, so the arithmetic stays well conditioned); nullopt with too few.
std::optional<double> local_fit(const std::deque<StageReading>& readings, std::int64_t t) {
  const auto first = std::lower_bound(readings.begin(), readings.end(), t - kFitHalfWindow_ns,
                                      [](const StageReading& r, std::int64_t value) { return r.t_mono_ns < value; });
  double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (auto it = first; it != readings.end() && it->t_mono_ns <= t + kFitHalfWindow_ns; ++it) {
    const double x = static_cast<double>(it->t_mono_ns - t) * 1e-9;
    n += 1;
    sx += x;
    sy += it->T_K;
    sxx += x * x;
    sxy += x * it->T_K;
  }
  if (n < kFitMinReadings) return std::nullopt;
  const double denominator = n * sxx - sx * sx;
  if (denominator <= 1e-12) return std::nullopt;
  const double slope = (n * sxy - sx * sy) / denominator;
  return (sy - slope * sx) / n;  // the line's value at x = 0, i.e. at t
}
}  // namespace

InterpolatedT interpolate_T(const std::deque<StageReading>& readings, std::int64_t t, std::int64_t max_extrapolation_ns) {
  if (readings.empty()) return {};
  if (readings.size() == 1) {
    const bool near = std::llabs(t - readings.front().t_mono_ns) <= max_extrapolation_ns;
    if (t == readings.front().t_mono_ns) return {readings.front().T_K, false};
    return near ? InterpolatedT{readings.front().T_K, true} : InterpolatedT{};
  }
  if (t < readings.front().t_mono_ns) {
    if (readings.front().t_mono_ns - t > max_extrapolation_ns) return {};
    return {line_through(readings[0], readings[1], t), true};
  }
  if (t > readings.back().t_mono_ns) {
    if (t - readings.back().t_mono_ns > max_extrapolation_ns) return {};
    return {line_through(readings[readings.size() - 2], readings.back(), t), true};
  }
  if (const auto fitted = local_fit(readings, t)) return {*fitted, false};
  const auto it = std::lower_bound(readings.begin(), readings.end(), t,
                                   [](const StageReading& r, std::int64_t value) { return r.t_mono_ns < value; });
  if (it->t_mono_ns == t) return {it->T_K, false};
  return {line_through(*(it - 1), *it, t), false};
}

std::string FrameTemperatures::note(double max_extrapolation_s) const {
  std::string out;
  auto describe = [&](const char* name, const InterpolatedT& v) {
    if (!v.T_K) out += fmt::format("{}{} unknown (no stage reading within {} s)", out.empty() ? "" : "; ", name, max_extrapolation_s);
    else if (v.extrapolated) out += fmt::format("{}{} extrapolated", out.empty() ? "" : "; ", name);
  };
  describe("T_start", start);
  describe("T_mid", mid);
  describe("T_end", end);
  return out;
}

FrameTemperatures frame_temperatures(const std::deque<StageReading>& readings, std::int64_t start_ns,
                                     std::int64_t end_ns, std::int64_t max_extrapolation_ns) {
  const std::int64_t mid_ns = start_ns + (end_ns - start_ns) / 2;
  return {interpolate_T(readings, start_ns, max_extrapolation_ns), interpolate_T(readings, mid_ns, max_extrapolation_ns),
          interpolate_T(readings, end_ns, max_extrapolation_ns)};
}

}  // namespace glasslab::acquisition::xrd
