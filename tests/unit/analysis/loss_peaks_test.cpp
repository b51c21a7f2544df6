// Cole-Cole multi-peak fits at one frequency: recovery, and honest failure statuses.
#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <vector>

#include "analysis/loss_peaks.hpp"
#include "tests/unit/analysis/synthetic.hpp"

using namespace glasslab::analysis;

TEST_CASE("height/width form equals the reference formula") {
  const double b = 0.4, E = 1.29, Tp = 480.0, A = 0.03;
  const double width = b * E / kBoltzmann_eV_per_K;
  const double height = A / 2 * std::tan(3.141592653589793 * b / 4);
  for (const double T : {300.0, 420.0, 480.0, 530.0, 700.0}) {
    CHECK(cole_cole_peak(T, height, Tp, width, b) == doctest::Approx(cole_cole_reference(T, A, Tp, E, b)).epsilon(1e-12));
  }
}

TEST_CASE("three overlapping peaks recovered at one frequency") {
  const auto samples = synthetic::paper_dma_samples(0.005, 11, {3.0});
  std::vector<double> T, y;
  for (const auto& s : samples) {
    T.push_back(s.T_K);
    y.push_back(s.value);
  }
  const FrequencyFit fit = fit_loss_peaks(T, y, 3.0, paper_relaxations());
  REQUIRE(fit.status == FitStatus::ok);
  REQUIRE(fit.peaks.size() == 3);
  const auto model = synthetic::paper_model();
  for (std::size_t j = 0; j < 3; ++j) {
    INFO(fit.peaks[j].name);
    REQUIRE(fit.peaks[j].status == FitStatus::ok);
    const double expected = synthetic::peak_temperature(model[j], 3.0);
    CHECK(std::abs(*fit.peaks[j].Tp_K - expected) < std::max(4 * *fit.peaks[j].Tp_stderr_K, 3.0));
    CHECK(*fit.peaks[j].Tp_stderr_K > 0);
  }
  CHECK(fit.residual_rms < 0.01);
}

TEST_CASE("a non-convergent fit is reported as such, without numbers") {
  const auto samples = synthetic::paper_dma_samples(0.005, 11, {3.0});
  std::vector<double> T, y;
  for (const auto& s : samples) {
    T.push_back(s.T_K);
    y.push_back(s.value);
  }
  PeakFitOptions options;
  options.max_function_evaluations = 3;
  const FrequencyFit fit = fit_loss_peaks(T, y, 3.0, paper_relaxations(), options);
  CHECK(fit.status == FitStatus::not_converged);
  CHECK(fit.reason.find("too_many_function_evaluations") != std::string::npos);
  for (const auto& peak : fit.peaks) {
    CHECK(peak.status == FitStatus::not_converged);
    CHECK_FALSE(peak.Tp_K);
    CHECK_FALSE(peak.Tp_stderr_K);
  }
  CHECK(std::isnan(evaluate_fit(fit, 400.0)));
}

TEST_CASE("two relaxations claiming the same peak are ill-conditioned, not numbers") {
  std::vector<double> T, y;
  std::mt19937 rng(2);
  std::normal_distribution<double> gauss(0.0, 1e-5);
  for (double t = 300; t <= 700; t += 2) {
    T.push_back(t);
    y.push_back(0.01 + cole_cole_peak(t, 0.02, 500.0, 5000.0, 0.5) + gauss(rng));
  }
  // Identical windows and shapes: the two peaks are interchangeable, their split undetermined.
  const std::vector<RelaxationSpec> twins{{"first", 350, 650, 0.5, 1.0}, {"second", 350, 650, 0.5, 1.0}};
  const FrequencyFit fit = fit_loss_peaks(T, y, 1.0, twins);
  int ok = 0, flagged = 0;
  for (const auto& peak : fit.peaks) {
    if (peak.status == FitStatus::ok) {
      ++ok;
      continue;
    }
    ++flagged;
    CHECK(peak.status == FitStatus::ill_conditioned);
    CHECK_FALSE(peak.Tp_K);
    CHECK_FALSE(peak.Tp_stderr_K);
    CHECK_FALSE(peak.reason.empty());
  }
  CHECK(ok <= 1);  // one peak's worth of data never yields two located peaks
  CHECK(flagged >= 1);
}

TEST_CASE("a relaxation without data in its window is skipped with a reason") {
  std::vector<double> T, y;
  for (double t = 300; t <= 700; t += 2) {
    T.push_back(t);
    y.push_back(0.01 + cole_cole_peak(t, 0.02, 500.0, 5000.0, 0.5));
  }
  const std::vector<RelaxationSpec> specs{{"main", 350, 650, 0.5, 1.0}, {"cold", 100, 200, 0.5, 0.3}};
  const FrequencyFit fit = fit_loss_peaks(T, y, 1.0, specs);
  REQUIRE(fit.status == FitStatus::ok);
  REQUIRE(fit.peaks.size() == 1);
  CHECK(*fit.peaks[0].Tp_K == doctest::Approx(500.0).epsilon(1e-4));
  REQUIRE(fit.skipped.size() == 1);
  CHECK(fit.skipped[0].find("cold: 0 points") != std::string::npos);
}

namespace {

/// tan delta at one frequency: gamma (240 K) and beta (480 K) Cole-Cole peaks on a floor, plus an
/// alpha that is not a Cole-Cole peak (`alpha(T)`), 1 % relative noise, 2-K steps up to T_end.
std::pair<std::vector<double>, std::vector<double>> gamma_beta_and(double T_end_K, double (*alpha)(double)) {
  std::vector<double> T, y;
  std::mt19937 rng(4);
  std::normal_distribution<double> gauss(0.0, 0.01);
  for (double t = 130; t <= T_end_K; t += 2) {
    T.push_back(t);
    y.push_back((0.002 + cole_cole_peak(t, 0.003, 240.0, 1200.0, 0.5) + cole_cole_peak(t, 0.006, 480.0, 6000.0, 0.4) + alpha(t)) *
                (1.0 + gauss(rng)));
  }
  return {T, y};
}

}  // namespace

TEST_CASE("peaks fitted alone after a failed joint fit can be drawn: their model follows the data on their span") {
  // gamma and beta Cole-Cole peaks next to an alpha that is not one (a steep, asymmetric peak 500x
  // larger, as on the DHR-3 simulator): the joint model does not describe the data and the window
  // fallback fits each alone. evaluate_fitted_model must then give their curves, not NaN.
  const auto [T, y] = gamma_beta_and(820, [](double t) { return 3.0 * std::exp(-std::pow((t - 720.0) / (t < 720.0 ? 12.0 : 30.0), 2)); });
  const FrequencyFit fit = fit_loss_peaks(T, y, 1.0, paper_relaxations());
  int alone = 0;
  for (const auto& peak : fit.peaks) {
    if (peak.status != FitStatus::ok || !peak.span_lo_K) continue;
    ++alone;
    INFO(peak.name, ": ", peak.reason);
    CHECK(peak.reason.find("fitted alone") != std::string::npos);
    double sq = 0;
    int n = 0;
    for (std::size_t i = 0; i < T.size(); ++i) {
      if (T[i] < *peak.span_lo_K || T[i] > *peak.span_hi_K) continue;
      const double model = evaluate_fitted_model(fit, T[i]);
      REQUIRE(std::isfinite(model));
      CHECK(evaluate_fitted_model(fit, T[i], true) < model);  // the peak sits on its background
      sq += std::pow((model - y[i]) / y[i], 2);
      ++n;
    }
    CHECK(n > 10);
    if (peak.name != "alpha") CHECK(std::sqrt(sq / n) < 0.03);  // relative noise 1 %; alpha is no Cole-Cole peak here
  }
  INFO("joint fit: ", to_string(fit.status), " ", fit.reason);
  REQUIRE(alone >= 2);  // gamma and beta at least
  CHECK(fit.status != FitStatus::ok);  // the joint fit failed: this is the fallback's curve
  CHECK(std::isnan(evaluate_fitted_model(fit, 100.0)));  // outside every span, with no joint model
}

TEST_CASE("window fallback: a neighbour still rising at the data's end is not taken into a peak's span") {
  // The data stop while alpha still rises (no alpha maximum in them). beta's span must end in the
  // valley before the rise; a Tp outside beta's window is reported as such, never as a number.
  const auto [T, y] = gamma_beta_and(760, [](double t) { return 3.0 / (1.0 + std::exp(-(t - 720.0) / 9.0)); });
  const auto specs = paper_relaxations();
  const FrequencyFit fit = fit_loss_peaks(T, y, 1.0, specs);
  for (std::size_t k = 0; k < fit.peaks.size(); ++k) {
    const PeakFit& peak = fit.peaks[k];
    INFO(peak.name, ": ", to_string(peak.status), " ", peak.reason);
    if (peak.status != FitStatus::ok) {
      CHECK_FALSE(peak.Tp_K);
      CHECK_FALSE(peak.height);
      continue;
    }
    CHECK(*peak.Tp_K >= specs[k].T_window_lo_K);
    CHECK(*peak.Tp_K <= specs[k].T_window_hi_K);
    if (peak.name == "beta") CHECK(std::abs(*peak.Tp_K - 480.0) < 15.0);
    if (peak.span_hi_K) CHECK(*peak.span_hi_K < 700.0);  // not into the alpha rise
  }
}
