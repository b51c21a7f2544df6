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

TEST_CASE("slope features: a relaxation dip in dSeq/dT is found where it is, pure noise gives none") {
  // Seq(T) = glass line + a relaxation that lowers Seq by 0.3 J/(mol K) around 510 K (a dip of the
  // heat flow, as the beta region in the paper's Fig. 3), 2-K frames with 0.08 J/(mol K) noise.
  auto make = [](double dip_amplitude, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> gauss(0.0, 0.08);
    std::vector<double> T, S;
    for (double t = 95; t < 770; t += 2.0) {
      T.push_back(t);
      S.push_back(-35.0 + 0.004 * t - dip_amplitude / (1.0 + std::exp(-(t - 510.0) / 20.0)) + gauss(rng));
    }
    const SmoothedSeries smooth = whittaker_smooth(T, S);
    return std::make_pair(heat_flow_from_smoothed(smooth, 10.0 / 60.0, 75.006), whittaker_derivative_errors(smooth));
  };
  FeatureOptions options;
  options.Tg_hint_K = 709.0;
  const auto [hf, errors] = make(0.3, 5);
  const std::vector<Feature> features = find_slope_features(hf, errors, 709.0, options);
  const Feature* dip = nullptr;
  for (const auto& f : features) {
    CHECK(f.significance >= options.min_significance);
    if (f.kind == FeatureKind::heat_flow_dip) dip = &f;
  }
  REQUIRE(dip != nullptr);
  CHECK(dip->T_K == doctest::Approx(510.0).epsilon(0.03));
  CHECK(dip->label == "beta");
  CHECK(*dip->T_over_Tg == doctest::Approx(dip->T_K / 709.0));
  // The slope decreases into the dip and increases out of it.
  bool decrease_before = false, increase_after = false;
  for (const auto& f : features) {
    decrease_before = decrease_before || (f.kind == FeatureKind::slope_decrease && f.T_K < dip->T_K);
    increase_after = increase_after || (f.kind == FeatureKind::slope_increase && f.T_K > dip->T_K);
  }
  CHECK(decrease_before);
  CHECK(increase_after);

  const auto [flat_hf, flat_errors] = make(0.0, 5);
  CHECK(find_slope_features(flat_hf, flat_errors, 709.0, options).empty());
  CHECK_FALSE(slope_feature_criteria(options).empty());
}

TEST_CASE("feature labels: T/Tg windows of the paper's relaxations") {
  const auto windows = default_feature_windows();
  CHECK(feature_window_label(windows, 275.0 / 709.0) == "gamma");
  CHECK(feature_window_label(windows, 510.0 / 709.0) == "beta");
  CHECK(feature_window_label(windows, 690.0 / 709.0) == "excess_wing");
  CHECK(feature_window_label(windows, 1.05).empty());
  CHECK(feature_window_label(windows, std::nullopt).empty());
}
