#pragma once
// Arrhenius evaluation of loss-peak temperatures (reference/rheometer-dma.md):
//   2 pi f tau(Tp) = 1 with tau = tau0 exp(E / k T)  =>  ln f = -ln(2 pi tau0) - (E/k) (1/Tp)
// A straight line of ln f against 1/Tp: E = -k * slope [eV], tau0 = exp(-intercept) / (2 pi).
// k = 8.617333262e-5 eV/K; 1 eV = 96.485332 kJ/mol.
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "analysis/fit_status.hpp"

namespace glasslab::analysis {

inline constexpr double kJ_per_mol_per_eV = 96.48533212;

struct ArrheniusPoint {
  double frequency_Hz = 0;
  double Tp_K = 0;
  std::optional<double> Tp_stderr_K;
};

struct ArrheniusFit {
  FitStatus status = FitStatus::ok;
  std::string reason;
  int points = 0;
  bool weighted = false;  ///< true when every point had a Tp standard error
  std::optional<double> energy_eV, energy_stderr_eV;
  std::optional<double> energy_kJ_per_mol, energy_stderr_kJ_per_mol;
  std::optional<double> slope_K;      ///< d ln f / d(1/Tp) = -E/k
  std::optional<double> intercept;    ///< -ln(2 pi tau0)
  std::optional<double> ln_tau0;      ///< ln(tau0 / s); tau0 itself can underflow for alpha
  std::optional<double> tau0_s;
  std::vector<double> residuals_ln_f; ///< ln f - fitted, per point in input order
  double reduced_chi2 = 0;            ///< weighted fits: scatter relative to the Tp errors
};

/// Weighted least squares of ln f on 1/Tp. With Tp errors, each point's variance in ln f is
/// (slope * sigma_Tp / Tp^2)^2 (effective variance, iterated twice from the unweighted slope).
/// The slope's standard error is from the covariance scaled by the reduced chi^2, so it reflects
/// the points' actual scatter. Needs >= 3 points at distinct Tp.
ArrheniusFit fit_arrhenius(std::span<const ArrheniusPoint> points);

}  // namespace glasslab::analysis
