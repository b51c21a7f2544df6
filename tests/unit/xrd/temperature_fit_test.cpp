// Frame temperatures from a stage stream as the T95 reports it: 0.1 °C steps plus sensor noise at
// 10 Hz during a 10 K/min ramp. The local line fit must land within a few mK of the true ramp,
// where the line between the two neighbouring readings can be off by ~0.1 K.
#include <doctest/doctest.h>

#include <cmath>
#include <deque>
#include <random>

#include "acquisition/xrd/temperature_interpolation.hpp"

using namespace glasslab::acquisition;
using namespace glasslab::acquisition::xrd;

namespace {
constexpr std::int64_t kS = 1'000'000'000;
double true_T(std::int64_t t_ns) { return 300.0 + 10.0 / 60.0 * static_cast<double>(t_ns) * 1e-9; }

std::deque<StageReading> reported_ramp(std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise_K(0.0, 0.02);
  std::deque<StageReading> out;
  for (std::int64_t t = 0; t <= 120 * kS; t += kS / 10) {
    StageReading r;
    r.t_mono_ns = t;
    r.T_K = std::round((true_T(t) + noise_K(rng)) * 10.0) / 10.0;  // 0.1 °C on the wire
    out.push_back(r);
  }
  return out;
}
}  // namespace

TEST_CASE("the local fit recovers T within 0.02 K from quantised noisy readings, neighbours alone do not") {
  const auto readings = reported_ramp(7);
  double worst_fit_K = 0, worst_neighbour_K = 0;
  for (std::int64_t t = 10 * kS + 37'000'000; t < 110 * kS; t += 3 * kS + 11'000'000) {
    const auto T = interpolate_T(readings, t, 5 * kS);
    REQUIRE(T.T_K.has_value());
    CHECK_FALSE(T.extrapolated);
    worst_fit_K = std::max(worst_fit_K, std::abs(*T.T_K - true_T(t)));
    // The two readings around t, as a plain interpolation would use them.
    const auto i = static_cast<std::size_t>(t / (kS / 10));
    const double w = static_cast<double>(t - readings[i].t_mono_ns) / static_cast<double>(kS / 10);
    const double neighbour_T = readings[i].T_K + w * (readings[i + 1].T_K - readings[i].T_K);
    worst_neighbour_K = std::max(worst_neighbour_K, std::abs(neighbour_T - true_T(t)));
  }
  CHECK(worst_fit_K < 0.02);
  CHECK(worst_neighbour_K > 0.04);  // what the fit is for
}

TEST_CASE("with too few readings near t the bracketing line is used") {
  std::deque<StageReading> readings;
  for (std::int64_t t : {0 * kS, 4 * kS, 8 * kS}) {
    StageReading r;
    r.t_mono_ns = t;
    r.T_K = t == 4 * kS ? 310.0 : 300.0;  // a kink the bracketing line follows exactly
    readings.push_back(r);
  }
  const auto T = interpolate_T(readings, 2 * kS, 5 * kS);
  REQUIRE(T.T_K.has_value());
  CHECK(*T.T_K == doctest::Approx(305.0));
}
