// Arrhenius line through (1/Tp, ln f) (see arrhenius.hpp).
#include "analysis/arrhenius.hpp"

#include <cmath>
#include <numbers>

#include <fmt/format.h>

#include "analysis/seq.hpp"  // kBoltzmann_eV_per_K

namespace glasslab::analysis {
namespace {

struct Line {
  double slope = 0, intercept = 0, slope_variance = 0, chi2 = 0;
  bool ok = false;
};

/// Weighted straight line y = a + b x; the variance of b is unscaled (1/S_xx of the weights).
Line weighted_line(const std::vector<double>& x, const std::vector<double>& y, const std::vector<double>& w) {
  double S = 0, Sx = 0, Sy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    S += w[i];
    Sx += w[i] * x[i];
    Sy += w[i] * y[i];
  }
  const double x_mean = Sx / S, y_mean = Sy / S;
  double Sxx = 0, Sxy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    Sxx += w[i] * (x[i] - x_mean) * (x[i] - x_mean);
    Sxy += w[i] * (x[i] - x_mean) * (y[i] - y_mean);
  }
  Line line;
  if (!(Sxx > 0)) return line;
  line.slope = Sxy / Sxx;
  line.intercept = y_mean - line.slope * x_mean;
  line.slope_variance = 1.0 / Sxx;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double r = y[i] - line.intercept - line.slope * x[i];
    line.chi2 += w[i] * r * r;
  }
  line.ok = std::isfinite(line.slope) && std::isfinite(line.intercept);
  return line;
}

}  // namespace

ArrheniusFit fit_arrhenius(std::span<const ArrheniusPoint> points) {
  ArrheniusFit fit;
  fit.points = static_cast<int>(points.size());
  std::vector<double> x, y, w(points.size(), 1.0);
  bool all_errors = !points.empty();
  for (const ArrheniusPoint& p : points) {
    if (!(p.frequency_Hz > 0) || !(p.Tp_K > 0) || !std::isfinite(p.Tp_K)) {
      fit.status = FitStatus::invalid_input;
      fit.reason = fmt::format("point f = {} Hz, Tp = {} K is not positive and finite", p.frequency_Hz, p.Tp_K);
      return fit;
    }
    x.push_back(1.0 / p.Tp_K);
    y.push_back(std::log(p.frequency_Hz));
    all_errors = all_errors && p.Tp_stderr_K && *p.Tp_stderr_K > 0 && std::isfinite(*p.Tp_stderr_K);
  }
  if (points.size() < 3) {
    fit.status = FitStatus::insufficient_data;
    fit.reason = fmt::format("{} peak temperatures; an Arrhenius fit with a standard error needs 3", points.size());
    return fit;
  }
  Line line = weighted_line(x, y, w);
  if (line.ok && all_errors) {
    fit.weighted = true;
    for (int pass = 0; pass < 2; ++pass) {
      for (std::size_t i = 0; i < points.size(); ++i) {
        const double sigma_x = *points[i].Tp_stderr_K / (points[i].Tp_K * points[i].Tp_K);
        const double sigma_y = std::abs(line.slope) * sigma_x;
        w[i] = 1.0 / (sigma_y * sigma_y);
      }
      line = weighted_line(x, y, w);
      if (!line.ok) break;
    }
  }
  if (!line.ok) {
    fit.status = FitStatus::ill_conditioned;
    fit.reason = "all peak temperatures coincide: the slope is not determined";
    return fit;
  }
  const int dof = static_cast<int>(points.size()) - 2;
  fit.reduced_chi2 = line.chi2 / dof;
  // Unweighted: chi2 is the RSS, so the scaled variance is s^2 / Sxx either way.
  const double slope_stderr = std::sqrt(line.slope_variance * fit.reduced_chi2);
  if (line.slope >= 0) {
    fit.status = FitStatus::invalid_input;
    fit.reason = fmt::format("ln f rises with 1/Tp (slope {:.4g} K): the peaks do not shift like a thermally "
                             "activated relaxation", line.slope);
    return fit;
  }
  fit.slope_K = line.slope;
  fit.intercept = line.intercept;
  fit.energy_eV = -line.slope * kBoltzmann_eV_per_K;
  fit.energy_stderr_eV = slope_stderr * kBoltzmann_eV_per_K;
  fit.energy_kJ_per_mol = *fit.energy_eV * kJ_per_mol_per_eV;
  fit.energy_stderr_kJ_per_mol = *fit.energy_stderr_eV * kJ_per_mol_per_eV;
  fit.ln_tau0 = -line.intercept - std::log(2 * std::numbers::pi);
  fit.tau0_s = std::exp(*fit.ln_tau0);
  for (std::size_t i = 0; i < points.size(); ++i) fit.residuals_ln_f.push_back(y[i] - line.intercept - line.slope * x[i]);
  return fit;
}

}  // namespace glasslab::analysis
