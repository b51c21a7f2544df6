// Whittaker + GCV derivative on noisy non-uniform samples; Savitzky-Golay baseline.
#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <stdexcept>
#include <vector>

#include "analysis/smoothing.hpp"

using namespace glasslab::analysis;

namespace {

// A smooth "Seq(T)"-like curve on 100-860 K and its derivative.
double curve(double T) { return -4.0 + 0.002 * T + 0.3 * std::tanh((T - 500.0) / 60.0); }
double curve_slope(double T) {
  const double c = std::cosh((T - 500.0) / 60.0);
  return 0.002 + 0.3 / 60.0 / (c * c);
}

struct Samples {
  std::vector<double> T, y;
};

Samples noisy_nonuniform(double noise, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> step(0.8, 3.2);
  std::normal_distribution<double> gauss(0.0, noise);
  Samples s;
  for (double T = 100.0; T < 860.0; T += step(rng)) {
    s.T.push_back(T);
    s.y.push_back(curve(T) + gauss(rng));
  }
  return s;
}

double rms_slope_error(const SmoothedSeries& series, double T_lo, double T_hi) {
  double sum = 0;
  int n = 0;
  for (std::size_t i = 0; i < series.x.size(); ++i) {
    if (series.x[i] < T_lo || series.x[i] > T_hi) continue;
    const double e = series.dy_dx[i] - curve_slope(series.x[i]);
    sum += e * e;
    ++n;
  }
  return std::sqrt(sum / n);
}

}  // namespace

TEST_CASE("Whittaker + GCV recovers the derivative of a smooth curve from noisy non-uniform samples") {
  const Samples s = noisy_nonuniform(0.003, 42);
  const SmoothedSeries smooth = whittaker_smooth(s.T, s.y);
  CHECK(smooth.lambda_from_gcv);
  CHECK(smooth.order == 3);
  const double peak_slope = curve_slope(500.0);  // 0.007 per K
  CHECK(rms_slope_error(smooth, 130.0, 830.0) < 0.08 * peak_slope);
  CHECK(smooth.residual_rms == doctest::Approx(0.003).epsilon(0.25));  // smooths the noise, no more
  CHECK(smooth.effective_dof > 4);
  CHECK(smooth.effective_dof < s.T.size() / 4.0);
}

TEST_CASE("GCV picks a minimum of the GCV score") {
  const Samples s = noisy_nonuniform(0.003, 3);
  const SmoothedSeries smooth = whittaker_smooth(s.T, s.y, WhittakerOptions{2, std::nullopt, 4});
  const double at_best = whittaker_gcv(s.T, s.y, 2, smooth.lambda);
  CHECK(at_best == doctest::Approx(smooth.gcv_score));
  CHECK(at_best <= whittaker_gcv(s.T, s.y, 2, smooth.lambda * 10));
  CHECK(at_best <= whittaker_gcv(s.T, s.y, 2, smooth.lambda / 10));
}

TEST_CASE("order-2 Whittaker leaves a straight line on uneven x untouched") {
  std::vector<double> x{1.0, 1.3, 2.9, 3.0, 5.5, 7.2, 7.25, 9.0, 12.0};
  std::vector<double> y;
  for (const double v : x) y.push_back(3.0 - 0.5 * v);
  const SmoothedSeries smooth = whittaker_smooth(x, y, WhittakerOptions{2, 1e6, 4});
  for (std::size_t i = 0; i < x.size(); ++i) {
    CHECK(smooth.y_smooth[i] == doctest::Approx(y[i]).epsilon(1e-6));
    CHECK(smooth.dy_dx[i] == doctest::Approx(-0.5).epsilon(1e-5));
  }
}

TEST_CASE("duplicate temperatures are merged, not divided by zero") {
  std::vector<double> x{1, 2, 2, 3, 4, 5, 6, 7, 8};
  std::vector<double> y{1, 2, 4, 3, 4, 5, 6, 7, 8};
  const SmoothedSeries smooth = whittaker_smooth(x, y, WhittakerOptions{2, 1e-6, 4});
  REQUIRE(smooth.x.size() == 8);
  CHECK(smooth.y_input[1] == doctest::Approx(3.0));
}

TEST_CASE("Savitzky-Golay baseline follows the same derivative, less well") {
  const Samples s = noisy_nonuniform(0.003, 42);
  const SmoothedSeries sg = savitzky_golay_smooth(s.T, s.y, SavitzkyGolayOptions{31, 3, std::nullopt});
  CHECK(sg.method == "savitzky_golay");
  CHECK(sg.grid_step > 0.8);
  CHECK(rms_slope_error(sg, 150.0, 810.0) < 0.2 * curve_slope(500.0));
  CHECK_THROWS_AS(savitzky_golay_smooth(s.T, s.y, SavitzkyGolayOptions{30, 3, std::nullopt}), std::invalid_argument);
}
