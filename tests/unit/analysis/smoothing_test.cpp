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

TEST_CASE("derivative standard errors match the scatter of the slope over noise realizations") {
  // Same x and lambda, 300 noise realizations: the empirical standard deviation of dy/dx and of
  // the curvature at a few points must match whittaker_derivative_errors (noise only, so the
  // smoother's bias drops out of the scatter). 300 draws estimate a sigma to about 4 %.
  const Samples base = noisy_nonuniform(0.02, 11);
  const SmoothedSeries reference = whittaker_smooth(base.T, base.y);  // lambda by GCV, then held fixed
  const WhittakerOptions fixed{3, reference.lambda, 4};
  const std::vector<std::size_t> probes = {3, base.T.size() / 4, base.T.size() / 2, base.T.size() - 4};
  std::vector<double> sum(probes.size(), 0), sum2(probes.size(), 0), csum(probes.size(), 0), csum2(probes.size(), 0);
  std::mt19937 rng(13);
  std::normal_distribution<double> gauss(0.0, 0.02);
  constexpr int kDraws = 300;
  DerivativeErrors errors;
  for (int draw = 0; draw < kDraws; ++draw) {
    std::vector<double> y(base.T.size());
    for (std::size_t i = 0; i < y.size(); ++i) y[i] = curve(base.T[i]) + gauss(rng);
    const SmoothedSeries s = whittaker_smooth(base.T, y, fixed);
    const std::vector<double> curvature = nonuniform_derivative(s.x, s.dy_dx);
    for (std::size_t k = 0; k < probes.size(); ++k) {
      sum[k] += s.dy_dx[probes[k]];
      sum2[k] += s.dy_dx[probes[k]] * s.dy_dx[probes[k]];
      csum[k] += curvature[probes[k]];
      csum2[k] += curvature[probes[k]] * curvature[probes[k]];
    }
    if (draw == 0) errors = whittaker_derivative_errors(s);
  }
  CHECK(errors.noise_sigma == doctest::Approx(0.02).epsilon(0.15));
  for (std::size_t k = 0; k < probes.size(); ++k) {
    const double slope_sd = std::sqrt(sum2[k] / kDraws - std::pow(sum[k] / kDraws, 2));
    const double curvature_sd = std::sqrt(csum2[k] / kDraws - std::pow(csum[k] / kDraws, 2));
    INFO("probe ", probes[k], " at T = ", base.T[probes[k]]);
    // predicted with the first draw's sigma estimate: allow its own ~10 % error as well
    CHECK(errors.slope_stderr[probes[k]] == doctest::Approx(slope_sd).epsilon(0.2));
    CHECK(errors.curvature_stderr[probes[k]] == doctest::Approx(curvature_sd).epsilon(0.2));
  }
  CHECK(errors.slope_stderr.front() > 2 * errors.slope_stderr[base.T.size() / 2]);  // the edge is less certain
  const SmoothedSeries sg = savitzky_golay_smooth(base.T, base.y);
  CHECK_THROWS_AS(whittaker_derivative_errors(sg), std::invalid_argument);
}
