// Eqs. 1 and 2 of the paper with the community's integration conventions (see seq.hpp).
#include "analysis/seq.hpp"
#include "analysis/seq_simd.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>

#include <fmt/format.h>

// The integrand and the trapezoid's sum (one division and, away from g = 1, one log per point)
// are vectorised with Highway in seq_simd.cpp; here, the grid's edges and the bookkeeping.

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
  const auto first = static_cast<std::size_t>(std::upper_bound(r_A.begin(), r_A.end(), r_lo) - r_A.begin());
  const auto last = static_cast<std::size_t>(std::upper_bound(r_A.begin(), r_A.end(), r_search_max) - r_A.begin());
  if (first >= last) return std::nullopt;
  const std::size_t best = index_of_first_max(G.data(), first, last);
  if (G[best] <= 0) return std::nullopt;
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

  // r increases (compute_seq checks it; find_first_peak relies on it too): the window is one run.
  const auto lo = static_cast<std::size_t>(std::lower_bound(r_A.begin(), r_A.end(), fit.window_lo_A) - r_A.begin());
  const auto hi = static_cast<std::size_t>(std::upper_bound(r_A.begin(), r_A.end(), fit.window_hi_A) - r_A.begin());
  double sum_rG = 0, sum_rr = 0;
  for (std::size_t i = lo; i < hi; ++i) {
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
  for (std::size_t i = lo; i < hi; ++i) {
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

namespace {

/// The integrand at one point, for the excluded-volume prefix and the partial segment past r_max.
double integrand_at(double r, double G, double inv_4pi_rho0, double r_min_A) {
  if (r <= 0) return 0;
  if (r < r_min_A) return r * r;
  return seq_integrand_r2_at(r, G, inv_4pi_rho0);
}

}  // namespace

double seq_integral_A3(std::span<const double> r_A, std::span<const double> G_per_A2, double rho0_per_A3,
                       double r_min_A, double r_max_A) {
  const double inv_4pi_rho0 = 1.0 / (4 * std::numbers::pi * rho0_per_A3);
  const double* r = r_A.data();
  const double* G = G_per_A2.data();
  // Points with r <= r_max; the trapezoid runs from r = 0 (integrand 0 there: the r^2 factor).
  const auto end = static_cast<std::size_t>(std::upper_bound(r_A.begin(), r_A.end(), r_max_A) - r_A.begin());
  // Points at r = 0 (f = 0) or inside the excluded volume r < r_min (f = r^2) come first: r increases.
  const auto first_with_g = static_cast<std::size_t>(
      std::partition_point(r_A.begin(), r_A.begin() + static_cast<std::ptrdiff_t>(end),
                           [&](double radius) { return radius <= 0 || radius < r_min_A; }) - r_A.begin());
  double twice_sum = 0;
  for (std::size_t i = 0; i < first_with_g; ++i) {  // the same share sum as the kernel's
    twice_sum += integrand_at(r[i], G[i], inv_4pi_rho0, r_min_A) * trapezoid_share_width(r, i, end);
  }
  twice_sum += seq_twice_trapezoid_share(r, G, inv_4pi_rho0, first_with_g, end);
  const double last_r = end > 0 ? r[end - 1] : 0.0;
  if (end < r_A.size() && r_max_A > last_r) {  // partial last segment up to r_max, integrand interpolated
    const double last_f = end > 0 ? integrand_at(r[end - 1], G[end - 1], inv_4pi_rho0, r_min_A) : 0.0;
    const double f_next = integrand_at(r[end], G[end], inv_4pi_rho0, r_min_A);
    const double fraction = (r_max_A - last_r) / (r[end] - last_r);
    const double f_at_max = last_f + fraction * (f_next - last_f);
    twice_sum += (last_f + f_at_max) * (r_max_A - last_r);
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
  if (!grid_increases(r_A.data(), r_A.size())) {  // the index and value only when it fails
    for (std::size_t i = 1; i < r_A.size(); ++i) {
      if (!(r_A[i] > r_A[i - 1])) {
        throw std::invalid_argument(fmt::format("r does not increase at index {} (r = {})", i, r_A[i]));
      }
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
  // G(r) values near the largest double make g ln g overflow: that is bad input, never a number.
  if (!std::isfinite(result.seq_kB_per_atom))
    throw std::invalid_argument(fmt::format("Seq is not finite ({}) for rho0 = {:g} per A^3 and r up to {:g} A: "
                                            "G(r) values too large for Eq. 2",
                                            result.seq_kB_per_atom, result.rho0_per_A3, result.r_max_A));
  result.seq_J_per_mol_K = result.seq_kB_per_atom * kGasConstant_J_per_mol_K;
  return result;
}

SeqResult compute_seq(const PdfData& pdf, const SeqOptions& options) {
  return compute_seq(pdf.r_A, pdf.G_per_A2, options, pdf.rpoly_A());
}

}  // namespace glasslab::analysis
