// Eqs. 1-2 and the rho0 fit against exact results (reference/seq-analysis.md, "Exact checks").
#include <doctest/doctest.h>

#include <cmath>
#include <numbers>
#include <random>
#include <stdexcept>
#include <vector>

#include "analysis/seq.hpp"
#include "tests/unit/analysis/synthetic.hpp"

using namespace glasslab::analysis;

TEST_CASE("ideal gas: G = 0 gives Seq = 0 for any rho0") {
  std::vector<double> r, G;
  for (int i = 0; i <= 3000; ++i) {
    r.push_back(0.01 * i);
    G.push_back(0.0);
  }
  for (const double rho0 : {0.01, 0.0538345, 0.2}) {
    SeqOptions options;
    options.rho0_per_A3 = rho0;
    const SeqResult result = compute_seq(r, G, options);
    CHECK(result.seq_kB_per_atom == 0.0);
    CHECK_FALSE(result.rho0_fitted);
    CHECK(result.r_max_A == doctest::Approx(kDefaultSeqRMax_A));
  }
}

TEST_CASE("hard-sphere step g = H(r - sigma) gives -4 eta to 1e-6 relative") {
  const double rho0 = 0.0538345, sigma = 2.0, h = 5e-7;
  std::vector<double> r, G;
  const int n = static_cast<int>(2.05 / h);
  r.reserve(n + 1);
  G.reserve(n + 1);
  for (int i = 0; i <= n; ++i) {
    const double ri = i * h;
    r.push_back(ri);
    G.push_back(ri < sigma ? -4 * std::numbers::pi * rho0 * ri : 0.0);  // g = 0 inside, 1 outside
  }
  SeqOptions options;
  options.rho0_per_A3 = rho0;
  options.r_max_A = 2.05;
  const SeqResult result = compute_seq(r, G, options);
  const double eta = std::numbers::pi * rho0 * sigma * sigma * sigma / 6;
  CHECK(std::abs(result.seq_kB_per_atom / (-4 * eta) - 1) < 1e-6);
  CHECK(result.seq_kB_per_atom == doctest::Approx(-0.902006).epsilon(1e-6));
  CHECK(result.seq_J_per_mol_K == doctest::Approx(result.seq_kB_per_atom * 8.314462618));
}

TEST_CASE("rho0 recovered from a noisy synthetic glass, window avoids rpoly and the first peak") {
  const double rho0 = 0.0538345;
  std::vector<double> r, G;
  synthetic::glass_G(rho0, 0.01, 30.0, 0.02, 7, r, G);
  const Rho0Fit fit = fit_rho0(r, G, Rho0WindowOptions{});
  REQUIRE(fit.status == FitStatus::ok);
  CHECK(fit.window_lo_A == doctest::Approx(0.9));
  REQUIRE(fit.first_peak_r_A);
  CHECK(*fit.first_peak_r_A == doctest::Approx(2.75).epsilon(0.05));
  REQUIRE(fit.rise_zero_A);
  CHECK(fit.window_hi_A < 2.1);  // stops before the first peak rises (g > 0.01 from ~2.05 A)
  CHECK(std::abs(*fit.rho0_per_A3 - rho0) < 0.01 * rho0);
  CHECK(std::abs(*fit.rho0_per_A3 - rho0) < 4 * *fit.rho0_stderr_per_A3);
}

TEST_CASE("rho0 fit fails honestly on G = 0, and compute_seq names the reason") {
  std::vector<double> r, G;
  for (int i = 1; i <= 500; ++i) {
    r.push_back(0.01 * i);
    G.push_back(0.0);
  }
  const Rho0Fit fit = fit_rho0(r, G, Rho0WindowOptions{});
  CHECK(fit.status == FitStatus::invalid_input);
  CHECK_FALSE(fit.rho0_per_A3);
  CHECK_THROWS_WITH_AS(compute_seq(r, G, SeqOptions{}), doctest::Contains("rho0 fit invalid_input"), std::invalid_argument);
}

TEST_CASE("a G(r) too large for Eq. 2 is refused with the reason, never a non-finite Seq") {
  // Found by the G(r) fuzzer: values near the largest double made g ln g overflow to NaN.
  std::vector<double> r, G;
  for (int i = 1; i <= 500; ++i) {
    r.push_back(0.01 * i);
    G.push_back(r.back() < 2.0 ? -0.676504 * r.back() : 1.7e308);
  }
  SeqOptions options;
  options.rho0_per_A3 = 0.0538345;
  CHECK_THROWS_WITH_AS(compute_seq(r, G, options), doctest::Contains("Seq is not finite"), std::invalid_argument);
}

TEST_CASE("Seq is unchanged by a finer r grid, and r_max is explicit") {
  const double rho0 = 0.0538345;
  std::vector<double> r1, G1, r2, G2;
  synthetic::glass_G(rho0, 0.01, 12.0, 0.0, 1, r1, G1);
  synthetic::glass_G(rho0, 0.002, 12.0, 0.0, 1, r2, G2);
  SeqOptions options;
  options.rho0_per_A3 = rho0;
  options.r_max_A = 9.995;  // between grid points of the coarse grid: partial last segment
  const SeqResult coarse = compute_seq(r1, G1, options);
  const SeqResult fine = compute_seq(r2, G2, options);
  CHECK(coarse.seq_kB_per_atom < -1.0);  // a dense glass: several k_B below the gas
  CHECK(std::abs(coarse.seq_kB_per_atom - fine.seq_kB_per_atom) < 1e-4 * std::abs(fine.seq_kB_per_atom));
  CHECK(coarse.r_max_A == doctest::Approx(9.995));
  options.r_max_A = 50.0;
  const SeqResult clipped = compute_seq(r1, G1, options);
  CHECK(clipped.r_max_clipped);
  CHECK(clipped.r_max_A == doctest::Approx(12.0));
}

TEST_CASE("r_min: g = 0 below it lowers Seq by the excluded-volume integral") {
  const double rho0 = 0.05;
  std::vector<double> r, G;
  for (int i = 0; i <= 1000; ++i) {
    r.push_back(0.01 * i);
    G.push_back(0.0);  // g = 1 everywhere, so only the excluded volume contributes
  }
  SeqOptions options;
  options.rho0_per_A3 = rho0;
  options.r_min_A = 1.5;
  const SeqResult result = compute_seq(r, G, options);
  // trapezoid of r^2 on [0, 1.5) then a linear drop to 0 at the next point
  CHECK(result.seq_kB_per_atom == doctest::Approx(-2 * std::numbers::pi * rho0 * 1.5 * 1.5 * 1.5 / 3).epsilon(2e-2));
  REQUIRE(result.r_min_A);
  CHECK(*result.r_min_A == 1.5);
}

namespace {

/// Eq. 2's integral as a plain running trapezoid with the scalar std::log, point by point: the
/// definition the vectorised seq_integral_A3 must reproduce.
double scalar_integral(const std::vector<double>& r, const std::vector<double>& G, double rho0, double r_min,
                       double r_max) {
  auto f = [&](std::size_t i) {
    if (r[i] <= 0) return 0.0;
    if (r[i] < r_min) return r[i] * r[i];
    const double g = G[i] / (4 * std::numbers::pi * rho0) / r[i] + 1.0;
    return g < kSeqGFloor ? r[i] * r[i] : (g * std::log(g) - g + 1.0) * r[i] * r[i];
  };
  double sum = 0, previous_r = 0, previous_f = 0;
  for (std::size_t i = 0; i < r.size(); ++i) {
    if (r[i] > r_max) {
      const double f_max = previous_f + (r_max - previous_r) / (r[i] - previous_r) * (f(i) - previous_f);
      return sum + 0.5 * (previous_f + f_max) * (r_max - previous_r);
    }
    sum += 0.5 * (previous_f + f(i)) * (r[i] - previous_r);
    previous_r = r[i];
    previous_f = f(i);
  }
  return sum;
}

}  // namespace

TEST_CASE("the vectorised integral equals the scalar running trapezoid to 1e-12") {
  // Noisy G on uniform and non-uniform grids, from r = 0 and from r > 0, with negative g below the
  // first peak (floor branch), r_min, and r_max on and between grid points, across block edges.
  std::mt19937 rng(8);
  std::uniform_real_distribution<double> step(0.005, 0.015);
  for (const bool uniform : {true, false}) {
    for (const double r0 : {0.0, 0.01}) {
      std::vector<double> r, G;
      synthetic::glass_G(0.0538345, 0.01, 40.0, 0.05, 3, r, G);
      if (!uniform) {
        double x = r0;
        for (double& ri : r) ri = (x += step(rng));
      } else if (r0 == 0.0) {
        r.insert(r.begin(), 0.0);
        G.insert(G.begin(), 0.0);
      }
      for (const double r_min : {0.0, 2.1}) {
        for (const double r_max : {10.0, 10.004, 5.125, 40.0, 1e9, 0.003}) {
          const double expected = scalar_integral(r, G, 0.0538345, r_min, r_max);
          const double got = seq_integral_A3(r, G, 0.0538345, r_min, r_max);
          INFO("uniform ", uniform, " r0 ", r0, " r_min ", r_min, " r_max ", r_max);
          CHECK(std::abs(got - expected) <= 1e-12 * std::abs(expected));
        }
      }
    }
  }
}
