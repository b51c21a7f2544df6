// Eqs. 1 and 2 of the paper with the community's integration conventions (see seq.hpp).
#include "analysis/seq.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>

#include <fmt/format.h>

namespace glasslab::analysis {
namespace {

void check_grid(std::span<const double> r_A, std::span<const double> G_per_A2) {
  if (r_A.size() != G_per_A2.size()) {
    throw std::invalid_argument(fmt::format("r has {} points but G has {}", r_A.size(), G_per_A2.size()));
  }
  if (r_A.size() < 2) throw std::invalid_argument("G(r) needs at least 2 points");
  if (r_A.front() < 0) throw std::invalid_argument(fmt::format("negative radius r = {}", r_A.front()));
}

/// Index of the first peak (maximum of G) in (r_lo, r_search_max]; nullopt if G <= 0 there.
std::optional<std::size_t> find_first_peak(std::span<const double> r_A, std::span<const double> G,
                                           double r_lo, double r_search_max) {
  std::optional<std::size_t> best;
  for (std::size_t i = 0; i < r_A.size() && r_A[i] <= r_search_max; ++i) {
    if (r_A[i] <= r_lo) continue;
    if (!best || G[i] > G[*best]) best = i;
  }
  if (!best || G[*best] <= 0) return std::nullopt;
  return best;
}

/// Walking down from the peak, the radius where G crosses zero (linear interpolation).
std::optional<double> rise_zero_crossing(std::span<const double> r_A, std::span<const double> G,
                                         std::size_t peak, double r_lo) {
  for (std::size_t i = peak; i > 0; --i) {
    if (r_A[i - 1] < r_lo) return std::nullopt;
    if (G[i - 1] <= 0 && G[i] > 0) {
      return r_A[i - 1] + (r_A[i] - r_A[i - 1]) * (-G[i - 1]) / (G[i] - G[i - 1]);
    }
  }
  return std::nullopt;
}

}  // namespace

Rho0Fit fit_rho0(std::span<const double> r_A, std::span<const double> G_per_A2,
                 const Rho0WindowOptions& options) {
  check_grid(r_A, G_per_A2);
  Rho0Fit fit;
  fit.window_lo_A = options.r_lo_A.value_or(options.rpoly_A);
  if (options.r_hi_A) {
    fit.window_hi_A = *options.r_hi_A;
    fit.window_rule = "given";
  } else if (const auto peak = find_first_peak(r_A, G_per_A2, fit.window_lo_A, options.first_peak_search_max_A)) {
    fit.first_peak_r_A = r_A[*peak];
    fit.rise_zero_A = rise_zero_crossing(r_A, G_per_A2, *peak, fit.window_lo_A);
    if (fit.rise_zero_A) {
      fit.window_hi_A = options.stop_fraction * *fit.rise_zero_A;
      fit.window_rule = fmt::format("{} x zero crossing of the first peak's rising edge ({:.3f} A)",
                                    options.stop_fraction, *fit.rise_zero_A);
    } else {
      fit.window_hi_A = options.stop_fraction * *fit.first_peak_r_A;
      fit.window_rule = fmt::format("{} x first peak position ({:.3f} A; no zero crossing before it)",
                                    options.stop_fraction, *fit.first_peak_r_A);
    }
  } else {
    fit.window_hi_A = options.no_peak_r_hi_A;
    fit.window_rule = fmt::format("no first peak below {} A; paper's window end {} A",
                                  options.first_peak_search_max_A, options.no_peak_r_hi_A);
  }

  double sum_rG = 0, sum_rr = 0;
  for (std::size_t i = 0; i < r_A.size(); ++i) {
    if (r_A[i] < fit.window_lo_A || r_A[i] > fit.window_hi_A) continue;
    sum_rG += r_A[i] * G_per_A2[i];
    sum_rr += r_A[i] * r_A[i];
    ++fit.points;
  }
  if (fit.points < options.min_points || sum_rr <= 0) {
    fit.status = FitStatus::insufficient_data;
    fit.reason = fmt::format("{} points in the rho0 window [{:.3f}, {:.3f}] A, need {}", fit.points,
                             fit.window_lo_A, fit.window_hi_A, options.min_points);
    return fit;
  }
  const double slope_per_A3 = sum_rG / sum_rr;
  double sum_sq = 0;
  for (std::size_t i = 0; i < r_A.size(); ++i) {
    if (r_A[i] < fit.window_lo_A || r_A[i] > fit.window_hi_A) continue;
    const double residual = G_per_A2[i] - slope_per_A3 * r_A[i];
    sum_sq += residual * residual;
  }
  fit.rms_residual_per_A2 = std::sqrt(sum_sq / fit.points);
  if (!std::isfinite(slope_per_A3) || slope_per_A3 >= 0) {
    fit.status = FitStatus::invalid_input;
    fit.reason = fmt::format("low-r slope of G is {:.6g} A^-3 on [{:.3f}, {:.3f}] A; must be negative",
                             slope_per_A3, fit.window_lo_A, fit.window_hi_A);
    return fit;
  }
  const double slope_stderr = std::sqrt(sum_sq / (fit.points - 1) / sum_rr);
  fit.rho0_per_A3 = -slope_per_A3 / (4 * std::numbers::pi);
  fit.rho0_stderr_per_A3 = slope_stderr / (4 * std::numbers::pi);
  return fit;
}

double seq_integral_A3(std::span<const double> r_A, std::span<const double> G_per_A2, double rho0_per_A3,
                       double r_min_A, double r_max_A) {
  const double inv_4pi_rho0 = 1.0 / (4 * std::numbers::pi * rho0_per_A3);
  const std::size_t n = r_A.size();
  const double* r = r_A.data();
  const double* G = G_per_A2.data();
  // Trapezoid from r = 0, where the integrand is 0 (r^2 factor) whatever g is.
  double previous_r = 0, previous_f = 0, twice_sum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double ri = r[i];
    double f;
    if (ri <= 0) {
      f = 0;
    } else if (ri < r_min_A) {
      f = ri * ri;  // excluded volume: g = 0
    } else {
      const double g = G[i] * inv_4pi_rho0 / ri + 1.0;
      f = g < kSeqGFloor ? ri * ri : (g * std::log(g) - g + 1.0) * ri * ri;
    }
    if (ri > r_max_A) {  // partial last segment up to r_max, integrand interpolated linearly
      const double fraction = (r_max_A - previous_r) / (ri - previous_r);
      const double f_at_max = previous_f + fraction * (f - previous_f);
      twice_sum += (previous_f + f_at_max) * (r_max_A - previous_r);
      return 0.5 * twice_sum;
    }
    twice_sum += (previous_f + f) * (ri - previous_r);
    previous_r = ri;
    previous_f = f;
  }
  return 0.5 * twice_sum;
}

double seq_kB_per_atom(std::span<const double> r_A, std::span<const double> G_per_A2, double rho0_per_A3,
                       double r_min_A, double r_max_A) {
  check_grid(r_A, G_per_A2);
  if (!(rho0_per_A3 > 0) || !std::isfinite(rho0_per_A3)) {
    throw std::invalid_argument(fmt::format("rho0 = {} A^-3; must be positive", rho0_per_A3));
  }
  return -2 * std::numbers::pi * rho0_per_A3 * seq_integral_A3(r_A, G_per_A2, rho0_per_A3, r_min_A, r_max_A);
}

SeqResult compute_seq(std::span<const double> r_A, std::span<const double> G_per_A2,
                      const SeqOptions& options, std::optional<double> header_rpoly_A) {
  check_grid(r_A, G_per_A2);
  for (std::size_t i = 1; i < r_A.size(); ++i) {
    if (!(r_A[i] > r_A[i - 1])) {
      throw std::invalid_argument(fmt::format("r does not increase at index {} (r = {})", i, r_A[i]));
    }
  }
  SeqResult result;
  if (options.rho0_per_A3) {
    result.rho0_per_A3 = *options.rho0_per_A3;
  } else {
    Rho0WindowOptions window = options.rho0_window;
    if (header_rpoly_A && !window.r_lo_A) window.rpoly_A = *header_rpoly_A;
    Rho0Fit fit = fit_rho0(r_A, G_per_A2, window);
    if (fit.status != FitStatus::ok) {
      throw std::invalid_argument(fmt::format("rho0 fit {}: {}", to_string(fit.status), fit.reason));
    }
    result.rho0_per_A3 = *fit.rho0_per_A3;
    result.rho0_fitted = true;
    result.rho0_fit = std::move(fit);
  }
  const double requested_r_max = options.r_max_A.value_or(kDefaultSeqRMax_A);
  result.r_max_A = std::min(requested_r_max, r_A.back());
  result.r_max_clipped = requested_r_max > r_A.back();
  result.r_min_A = options.r_min_A;
  result.points_used = static_cast<int>(
      std::upper_bound(r_A.begin(), r_A.end(), result.r_max_A) - r_A.begin());
  result.seq_kB_per_atom =
      seq_kB_per_atom(r_A, G_per_A2, result.rho0_per_A3, options.r_min_A.value_or(0.0), result.r_max_A);
  result.seq_J_per_mol_K = result.seq_kB_per_atom * kGasConstant_J_per_mol_K;
  return result;
}

SeqResult compute_seq(const PdfData& pdf, const SeqOptions& options) {
  return compute_seq(pdf.r_A, pdf.G_per_A2, options, pdf.rpoly_A());
}

}  // namespace glasslab::analysis
