#include "acquisition/safety/interlock_rules.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <fmt/format.h>

namespace glasslab::acquisition::safety {

namespace {
// EB1 bits (reference/linkam-t95.md, "'T' reply"); StageReading::error_bits is EB1 & 0x7F.
constexpr int kCoolingRateTooFast = 0x01;
constexpr int kOpenCircuit = 0x02;
constexpr int kPowerSurge = 0x04;
// The rate needs this many readings spanning at least half the window, so a window emptied by a
// gap in the readings does not produce a rate from two points.
constexpr std::size_t kMinRatePoints = 3;
// The window reaches further back than rate_window_s (at most twice as far) to hold this many
// readings: with fewer a median cannot set a displaced reading aside, and a poller starved by a
// loaded host in a fast dry run, or a slow poll_Hz, leaves three or four in rate_window_s. Six
// readings may hold two displaced ones.
constexpr std::size_t kRobustRatePoints = 6;
// Two readings closer than this fraction of rate_window_s give no slope: their difference is the
// wire's 0.1 K, not the rate (after a stall the poller may send two T 6 ms apart: 1000 K/min).
constexpr double kMinPairSpacingFraction = 0.01;
// The repeated median costs n² slopes: beyond this many readings (a window longer than 10 s at
// 10 Hz) it uses every k-th reading back from the newest, which keeps it near 10⁴ slopes a reading.
constexpr std::size_t kMaxRatePoints = 101;

std::string_view safe_state_name(linkam::SafeState state) {
  return state == linkam::SafeState::hold ? "hold (O)" : "stop (E)";
}

/// The median of `values` (reordered); the mean of the two middle ones for an even count.
double median_of(std::vector<double>& values) {
  const auto middle = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
  std::nth_element(values.begin(), middle, values.end());
  if (values.size() % 2 == 1) return *middle;
  return 0.5 * (*middle + *std::max_element(values.begin(), middle));
}

/// Siegel's repeated median slope (Biometrika 69, 1982): for each reading the median of its slopes
/// to every other at least min_spacing_s away, then the median of those. Fewer than half the
/// readings, placed anywhere and displaced by any amount, cannot move it outside the slopes of the
/// others. K per second.
template <typename Point>
double repeated_median_slope_K_per_s(const std::vector<Point>& points, double min_spacing_s) {
  std::vector<double> slopes, medians;
  slopes.reserve(points.size());
  medians.reserve(points.size());
  for (const auto& from : points) {
    slopes.clear();
    for (const auto& to : points)
      if (std::abs(to.t_s - from.t_s) >= min_spacing_s) slopes.push_back((to.T_K - from.T_K) / (to.t_s - from.t_s));
    if (!slopes.empty()) medians.push_back(median_of(slopes));
  }
  return median_of(medians);
}
}  // namespace

std::string_view to_string(CoolingRatePolicy policy) {
  return policy == CoolingRatePolicy::stop_run ? "stop" : "warn";
}

StageSafetyLimits limits_from(const schedules::StageConfig& stage) {
  StageSafetyLimits limits;
  limits.min_K = stage.envelope.min_K;
  limits.max_K = stage.envelope.max_K;
  limits.max_rate_K_per_min = stage.envelope.max_rate_K_per_min;
  limits.over_temperature_margin_K = stage.over_temperature_margin_K;
  limits.rate_margin_K_per_min = stage.rate_margin_K_per_min;
  limits.rate_window_s = stage.rate_window_s;
  limits.watchdog_s = stage.watchdog_s;
  limits.on_cooling_rate_error = stage.on_cooling_rate_error == schedules::StageConfig::CoolingRatePolicy::stop
                                     ? CoolingRatePolicy::stop_run
                                     : CoolingRatePolicy::warn;
  return limits;
}

std::string_view to_string(InterlockKind kind) {
  switch (kind) {
    case InterlockKind::over_temperature: return "over_temperature";
    case InterlockKind::under_temperature: return "under_temperature";
    case InterlockKind::over_rate: return "over_rate";
    case InterlockKind::open_circuit: return "open_circuit";
    case InterlockKind::power_surge: return "power_surge";
    case InterlockKind::cooling_rate: return "cooling_rate";
    case InterlockKind::watchdog: return "watchdog";
  }
  return "unknown";
}

std::string describe(const InterlockTrip& trip, const std::string& device) {
  const bool is_bits = trip.unit == "EB1";
  const std::string value = is_bits ? fmt::format("EB1 0x{:02X}", static_cast<int>(trip.value) | 0x80)
                                    : fmt::format("{:.2f} {}", trip.value, trip.unit);
  const std::string limit = is_bits ? "limit: bit clear" : fmt::format("limit {:.2f} {}", trip.limit, trip.unit);
  return fmt::format("{} on Linkam T95 {}: {} beyond {} ({}); safe state {}", to_string(trip.kind), device, value, limit,
                     trip.detail, safe_state_name(trip.action));
}

InterlockRules::InterlockRules(StageSafetyLimits limits) : limits_(limits) {}

linkam::SafeState InterlockRules::action_for(InterlockKind kind) const {
  switch (kind) {
    case InterlockKind::watchdog:
    case InterlockKind::cooling_rate: return limits_.safe_state;
    default: return linkam::SafeState::stop;
  }
}

InterlockTrip InterlockRules::make_trip(InterlockKind kind, const StageReading& r, double value, double limit,
                                        std::string unit, std::string detail) const {
  InterlockTrip trip;
  trip.kind = kind;
  trip.value = value;
  trip.limit = limit;
  trip.unit = std::move(unit);
  trip.detail = std::move(detail);
  trip.action = action_for(kind);
  trip.t_mono_ns = r.t_mono_ns;
  trip.T_K = r.T_K;
  return trip;
}

Verdict InterlockRules::evaluate(const StageReading& reading) {
  Verdict verdict;
  if (auto trip = check_error_bits(reading, verdict)) {
    verdict.trip = trip;
    return verdict;
  }
  if (auto trip = check_temperature(reading)) {
    verdict.trip = trip;
    return verdict;
  }
  verdict.trip = check_rate(reading);
  return verdict;
}

std::optional<InterlockTrip> InterlockRules::check_error_bits(const StageReading& r, Verdict& verdict) {
  if (r.error_bits & kOpenCircuit) {
    auto trip = make_trip(InterlockKind::open_circuit, r, r.error_bits, 0, "EB1",
                          "EB1 bit1 open circuit: stage unplugged or sensor open, the temperature is not a reading");
    trip.T_K = std::numeric_limits<double>::quiet_NaN();
    return trip;
  }
  if (r.error_bits & kPowerSurge)
    return make_trip(InterlockKind::power_surge, r, r.error_bits, 0, "EB1",
                     "EB1 bit2 power surge: the controller's overload protection");
  if (!(r.error_bits & kCoolingRateTooFast)) {
    cooling_rate_episode_ = false;
    return std::nullopt;
  }
  if (limits_.on_cooling_rate_error == CoolingRatePolicy::stop_run)
    return make_trip(InterlockKind::cooling_rate, r, r.error_bits, 0, "EB1",
                     "EB1 bit0: the stage cannot hold the programmed cooling rate; policy on_cooling_rate_error = stop");
  if (!cooling_rate_episode_)
    verdict.warning = fmt::format(
        "stage cannot hold the programmed cooling rate {:.2f} K/min at T = {:.2f} K (EB1 bit0); policy "
        "on_cooling_rate_error = warn: the step takes longer, its timeout still applies",
        r.rate_K_per_min, r.T_K);
  cooling_rate_episode_ = true;
  return std::nullopt;
}

std::optional<InterlockTrip> InterlockRules::check_temperature(const StageReading& r) const {
  const double high_K = limits_.max_K + limits_.over_temperature_margin_K;
  if (r.T_K > high_K)
    return make_trip(InterlockKind::over_temperature, r, r.T_K, high_K, "K",
                     fmt::format("envelope max_K {:g} K + over_temperature_margin_K {:g} K", limits_.max_K,
                                 limits_.over_temperature_margin_K));
  const double low_K = limits_.min_K - limits_.over_temperature_margin_K;
  if (r.T_K < low_K)
    return make_trip(InterlockKind::under_temperature, r, r.T_K, low_K, "K",
                     fmt::format("envelope min_K {:g} K - over_temperature_margin_K {:g} K", limits_.min_K,
                                 limits_.over_temperature_margin_K));
  return std::nullopt;
}

std::optional<InterlockTrip> InterlockRules::check_rate(const StageReading& r) {
  const double t_s = static_cast<double>(r.t_mono_ns) * 1e-9;
  window_.push_back({t_s, r.T_K});
  while (!window_.empty() && window_.front().t_s < t_s - limits_.rate_window_s &&
         (window_.size() > kRobustRatePoints || window_.front().t_s < t_s - 2 * limits_.rate_window_s))
    window_.pop_front();
  const auto rate = measured_rate_K_per_min();
  if (!rate) return std::nullopt;
  const double limit = limits_.max_rate_K_per_min + limits_.rate_margin_K_per_min;
  if (std::abs(*rate) <= limit) return std::nullopt;
  return make_trip(InterlockKind::over_rate, r, std::abs(*rate), limit, "K/min",
                   fmt::format("{} at {:+.1f} K/min, the repeated-median slope of {} readings over {:.1f} s; envelope "
                               "max_rate_K_per_min {:g} K/min + rate_margin_K_per_min {:g} K/min",
                               *rate > 0 ? "heating" : "cooling", *rate, window_.size(),
                               window_.back().t_s - window_.front().t_s,
                               limits_.max_rate_K_per_min, limits_.rate_margin_K_per_min));
}

std::optional<double> InterlockRules::measured_rate_K_per_min() const {
  if (window_.size() < kMinRatePoints) return std::nullopt;
  if (window_.back().t_s - window_.front().t_s < 0.5 * limits_.rate_window_s) return std::nullopt;
  // The newest reading always counts: it is the one a runaway shows first.
  const std::size_t stride = (window_.size() + kMaxRatePoints - 1) / kMaxRatePoints;
  std::vector<Point> points;
  points.reserve(window_.size() / stride + 1);
  for (std::size_t back = 0; back < window_.size(); back += stride) points.push_back(window_[window_.size() - 1 - back]);
  return repeated_median_slope_K_per_s(points, kMinPairSpacingFraction * limits_.rate_window_s) * 60.0;
}

}  // namespace glasslab::acquisition::safety
