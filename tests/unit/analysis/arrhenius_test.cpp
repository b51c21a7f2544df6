// Arrhenius fits: exact recovery, weighting, and the failure statuses.
#include <doctest/doctest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "analysis/arrhenius.hpp"
#include "analysis/seq.hpp"

using namespace glasslab::analysis;

namespace {
std::vector<ArrheniusPoint> exact_points(double E_eV, double tau0_s, std::vector<double> f) {
  std::vector<ArrheniusPoint> points;
  for (const double fi : f) {
    // ln f = -ln(2 pi tau0) - E/(k Tp)  =>  Tp = -E/k / (ln f + ln(2 pi tau0))
    const double Tp = -(E_eV / kBoltzmann_eV_per_K) / (std::log(fi) + std::log(2 * std::numbers::pi * tau0_s));
    points.push_back({fi, Tp, 0.5});
  }
  return points;
}
}  // namespace

TEST_CASE("exact Arrhenius points give E, tau0 and zero residuals") {
  const auto points = exact_points(0.28, 1e-9, {0.05, 0.5, 3, 7, 15});
  const ArrheniusFit fit = fit_arrhenius(points);
  REQUIRE(fit.status == FitStatus::ok);
  CHECK(fit.weighted);
  CHECK(*fit.energy_eV == doctest::Approx(0.28).epsilon(1e-9));
  CHECK(*fit.energy_kJ_per_mol == doctest::Approx(0.28 * 96.48533212).epsilon(1e-9));
  CHECK(*fit.tau0_s == doctest::Approx(1e-9).epsilon(1e-6));
  for (const double r : fit.residuals_ln_f) CHECK(std::abs(r) < 1e-9);
}

TEST_CASE("alpha's apparent tau0 near 1e-54 s is representable") {
  const auto points = exact_points(7.51, 1e-54, {0.05, 0.5, 3, 7, 15});
  const ArrheniusFit fit = fit_arrhenius(points);
  REQUIRE(fit.status == FitStatus::ok);
  CHECK(*fit.ln_tau0 == doctest::Approx(std::log(1e-54)).epsilon(1e-6));
}

TEST_CASE("scatter gives a standard error that covers the true energy") {
  auto points = exact_points(1.29, 1e-14, {0.05, 0.5, 3, 7, 15});
  const double shifts[] = {1.5, -2.0, 0.5, 2.0, -1.0};
  for (int i = 0; i < 5; ++i) points[i].Tp_K += shifts[i];
  const ArrheniusFit fit = fit_arrhenius(points);
  REQUIRE(fit.status == FitStatus::ok);
  CHECK(*fit.energy_stderr_eV > 0);
  CHECK(std::abs(*fit.energy_eV - 1.29) < 3 * *fit.energy_stderr_eV);
}

TEST_CASE("failures carry a status and no energy") {
  const auto two = exact_points(0.28, 1e-9, {0.05, 0.5});
  const ArrheniusFit short_fit = fit_arrhenius(two);
  CHECK(short_fit.status == FitStatus::insufficient_data);
  CHECK_FALSE(short_fit.energy_eV);
  std::vector<ArrheniusPoint> same{{0.05, 300, 1.0}, {0.5, 300, 1.0}, {5, 300, 1.0}};
  const ArrheniusFit flat = fit_arrhenius(same);
  CHECK(flat.status == FitStatus::ill_conditioned);
  CHECK_FALSE(flat.energy_eV);
  std::vector<ArrheniusPoint> backwards{{0.05, 400, 1.0}, {0.5, 350, 1.0}, {5, 300, 1.0}};
  const ArrheniusFit wrong = fit_arrhenius(backwards);
  CHECK(wrong.status == FitStatus::invalid_input);
  CHECK_FALSE(wrong.energy_eV);
}
