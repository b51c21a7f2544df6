// Crystallization and glass transition of Seq(T) series with known transitions.
#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <vector>

#include "analysis/transitions.hpp"

using namespace glasslab::analysis;

namespace {

double softplus(double u) { return std::max(u, 0.0) + std::log1p(std::exp(-std::abs(u))); }

struct Series {
  std::vector<double> T, S, w;
};

/// Glass slope 0.004, liquid 0.011 J/(mol K^2) above Tg (kink rounded over `width`), a relaxation
/// drop at Tg.
double glass_liquid(double t, double Tg, double width, double drop) {
  return -35.0 + 0.004 * t + 0.007 * width * softplus((t - Tg) / width) - drop / (1.0 + std::exp(-(t - Tg) / width));
}

/// 2-K frames of glass_liquid plus noise and (optionally) a crystallization fall of 19 J/(mol K)
/// centred at `T_cryst`.
Series seq_series(double Tg, double width, double drop, double noise, unsigned seed, double T_end = 873.0,
                  double T_cryst = 0.0) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> gauss(0.0, noise);
  Series s;
  for (double t = 93.0; t < T_end; t += 2.0) {
    double S = glass_liquid(t, Tg, width, drop);
    if (T_cryst > 0) S -= 19.0 / (1.0 + std::exp(-(t - T_cryst) / 4.0));
    s.T.push_back(t);
    s.S.push_back(S + (noise > 0 ? gauss(rng) : 0.0));
    s.w.push_back(1.0);
  }
  return s;
}

}  // namespace

TEST_CASE("crystallization: the fall is located, its onset extrapolated, the liquid ends before it") {
  const Series s = seq_series(709.0, 6.0, 0.1, 0.08, 3, 873.0, 805.0);
  const SmoothedSeries smooth = whittaker_smooth(s.T, s.S);
  const auto c = locate_crystallization(smooth);
  REQUIRE(c);
  // logistic fall of 19 over a 4-K scale: steepest at 805 K with slope -19/16 per K; its tangent
  // meets the level before the fall 8 K earlier (smoothing rounds it a little).
  CHECK(c->steepest_K == doctest::Approx(805.0).epsilon(0.005));
  CHECK(c->onset_K == doctest::Approx(797.0).epsilon(0.006));
  CHECK(c->drop == doctest::Approx(19.0).epsilon(0.05));
  CHECK(c->liquid_end_K < c->onset_K - 5.0);
  CHECK(c->liquid_end_K > 760.0);
  CHECK(c->drop_over_noise > 50);

  // No fall: a glass and liquid only, or noise alone, is not crystallization.
  const Series glass = seq_series(709.0, 6.0, 0.1, 0.08, 3, 780.0);
  CHECK_FALSE(locate_crystallization(whittaker_smooth(glass.T, glass.S)));
}

TEST_CASE("glass transition: the step fit recovers Tg on noisy frames, on the part below crystallization") {
  for (const double Tg : {690.0, 709.0, 725.0}) {
    const Series s = seq_series(Tg, 4.0, 0.15, 0.08, 7, 778.0);
    GlassTransitionOptions options;
    options.Tg_hint_K = 709.0;
    const GlassTransitionFit fit = fit_glass_transition(s.T, s.S, s.w, 778.0, std::nullopt, options);
    INFO("true Tg ", Tg, ": ", fit.reason);
    REQUIRE(fit.status == FitStatus::ok);
    CHECK(std::abs(*fit.Tg_K - Tg) < 10.0);
    CHECK(fit.Tg_interval_lo_K <= *fit.Tg_K);
    CHECK(fit.Tg_interval_hi_K >= *fit.Tg_K);
    CHECK(fit.slope_glass == doctest::Approx(0.004).epsilon(0.25));
    CHECK(fit.slope_liquid == doctest::Approx(0.011).epsilon(0.25));
    CHECK(fit.step_significance > 3.0);
    for (const double T : {620.0, 700.0, 740.0}) CHECK(std::abs(evaluate_glass_transition(fit, T) - glass_liquid(T, Tg, 4.0, 0.15)) < 0.04);
  }
  // Noise-free: exact to the grid step.
  const Series exact = seq_series(709.0, 4.0, 0.15, 0.0, 1, 778.0);
  const GlassTransitionFit fit = fit_glass_transition(exact.T, exact.S, exact.w, 778.0, 709.0);
  REQUIRE(fit.status == FitStatus::ok);
  CHECK(*fit.Tg_K == doctest::Approx(709.0).epsilon(0.001));
  CHECK(fit.width_K == doctest::Approx(4.0));
  CHECK(fit.relaxation_drop == doctest::Approx(0.15).epsilon(0.01));
}

TEST_CASE("glass transition: no step, a series that ends below Tg, or no reference give a status, never a Tg") {
  Series line = seq_series(709.0, 4.0, 0.0, 0.08, 9, 778.0);
  for (std::size_t i = 0; i < line.T.size(); ++i) line.S[i] -= 0.007 * 4.0 * softplus((line.T[i] - 709.0) / 4.0);
  const GlassTransitionFit flat = fit_glass_transition(line.T, line.S, line.w, 778.0, 709.0);
  CHECK(flat.status != FitStatus::ok);
  CHECK_FALSE(flat.Tg_K);
  CHECK_FALSE(flat.reason.empty());

  const Series cold = seq_series(709.0, 4.0, 0.15, 0.08, 9, 600.0);
  const GlassTransitionFit early = fit_glass_transition(cold.T, cold.S, cold.w, 600.0, 709.0);
  CHECK(early.status == FitStatus::insufficient_data);
  CHECK_FALSE(early.Tg_K);

  const GlassTransitionFit none = fit_glass_transition(cold.T, cold.S, cold.w, 600.0, std::nullopt);
  CHECK(none.status == FitStatus::invalid_input);
}
