// Eq. 3, the liquid alignment, and the feature finder on a Seq(T) with known kinks.
#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <stdexcept>
#include <vector>

#include "analysis/heat_flow.hpp"

using namespace glasslab::analysis;

TEST_CASE("Eq. 3: delta_c = T dS/dT, delta_phi = delta_c beta_h in W/mol and W/g") {
  std::vector<double> T, S;
  for (int i = 0; i < 50; ++i) {
    T.push_back(300.0 + 7.0 * i + (i % 3));
    S.push_back(-30.0 + 0.01 * T.back());  // dS/dT = 0.01 J/(mol K^2)
  }
  const SmoothedSeries smooth = whittaker_smooth(T, S, WhittakerOptions{2, 1.0, 4});
  const HeatFlow hf = heat_flow_from_smoothed(smooth, 10.0 / 60.0, 75.006);
  for (std::size_t i = 0; i < hf.T_K.size(); ++i) {
    CHECK(hf.delta_c_J_per_mol_K[i] == doctest::Approx(0.01 * hf.T_K[i]).epsilon(1e-6));
    CHECK(hf.delta_phi_W_per_mol[i] == doctest::Approx(0.01 * hf.T_K[i] / 6.0).epsilon(1e-6));
    CHECK(hf.delta_phi_W_per_g[i] == doctest::Approx(hf.delta_phi_W_per_mol[i] / 75.006));
  }
  CHECK_THROWS_AS(heat_flow_from_smoothed(smooth, 0.0, std::nullopt), std::invalid_argument);
}

TEST_CASE("liquid alignment returns the constant that overlaps two curves above Tg") {
  std::vector<double> T_ref, S_ref, T, S;
  for (double t = 300; t <= 850; t += 4) {
    T_ref.push_back(t);
    S_ref.push_back(-35.0 + 0.01 * t);
  }
  for (double t = 302; t <= 850; t += 3.3) {
    T.push_back(t);
    S.push_back(-35.0 + 0.01 * t - 1.75 + (t < 700 ? 0.2 : 0.0));  // differs in the glass only
  }
  const LiquidAlignment a = liquid_alignment_offset(T, S, T_ref, S_ref, 720.0, 840.0);
  REQUIRE(a.status == FitStatus::ok);
  CHECK(*a.offset == doctest::Approx(1.75).epsilon(1e-9));
  CHECK(a.rms_after < 1e-9);
  const LiquidAlignment none = liquid_alignment_offset(T, S, T_ref, S_ref, 900.0, 950.0);
  CHECK(none.status == FitStatus::insufficient_data);
  CHECK_FALSE(none.offset);
}

TEST_CASE("features: Tg kink and crystallization onset located in a noisy series") {
  // Seq rises slowly in the glass, faster in the liquid above Tg = 709 K, and falls steeply at
  // crystallization near 790 K.
  std::mt19937 rng(5);
  std::normal_distribution<double> gauss(0.0, 0.004);
  std::uniform_real_distribution<double> step(1.5, 2.5);
  std::vector<double> T, S;
  for (double t = 95; t < 870; t += step(rng)) {
    const double glass = 0.004 * t;
    const double liquid = 0.02 * 30.0 * std::log1p(std::exp((t - 709.0) / 30.0)) - 0.004 * 0;  // smooth kink
    const double crystal = -2.0 / (1.0 + std::exp(-(t - 800.0) / 6.0));
    T.push_back(t);
    S.push_back(-35.0 + glass + liquid + crystal + gauss(rng));
  }
  const SmoothedSeries gcv = whittaker_smooth(T, S);
  // as analyze_seq_series does: features on lambda = 30 x lambda_GCV
  const SmoothedSeries smooth = whittaker_smooth(T, S, WhittakerOptions{3, 30 * gcv.lambda, 4});
  const HeatFlow hf = heat_flow_from_smoothed(smooth, 10.0 / 60.0, 75.006);
  FeatureOptions options;
  options.Tg_hint_K = 700.0;
  const FeatureReport report = find_features(hf, options);
  REQUIRE(report.crystallization_onset_K);
  CHECK(*report.crystallization_onset_K == doctest::Approx(790.0).epsilon(0.015));
  REQUIRE(report.Tg_K);
  CHECK(*report.Tg_K == doctest::Approx(709.0).epsilon(0.03));
  CHECK_FALSE(report.smoothing.empty());
  bool labelled_tg = false;
  for (const auto& f : report.features) labelled_tg = labelled_tg || (f.kind == FeatureKind::glass_transition && f.label == "Tg");
  CHECK(labelled_tg);
}
