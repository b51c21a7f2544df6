// Crystallization and the glass transition of a Seq(T) series (see transitions.hpp).
#include "analysis/transitions.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <Eigen/Dense>
#include <fmt/format.h>

namespace glasslab::analysis {
namespace {

/// Where the slope crosses `level` between points a and b (linear interpolation).
double crossing(std::span<const double> x, std::span<const double> slope, std::size_t a, std::size_t b, double level) {
  const double t = (level - slope[a]) / (slope[b] - slope[a]);
  return x[a] + t * (x[b] - x[a]);
}

/// Width at half depth of the slope dip around its minimum i.
double slope_dip_fwhm(std::span<const double> x, std::span<const double> slope, std::size_t i) {
  const double half = 0.5 * slope[i];
  std::size_t l = i, r = i;
  while (l > 0 && slope[l - 1] <= half) --l;
  while (r + 1 < slope.size() && slope[r + 1] <= half) ++r;
  const double left = l > 0 ? crossing(x, slope, l - 1, l, half) : x[0];
  const double right = r + 1 < slope.size() ? crossing(x, slope, r, r + 1, half) : x[r];
  return right - left;
}

double softplus(double u) { return std::max(u, 0.0) + std::log1p(std::exp(-std::abs(u))); }
double logistic(double u) { return 1.0 / (1.0 + std::exp(-u)); }

/// The glass-transition data in the fit window, with sqrt(weight) for weighted least squares.
struct WindowData {
  Eigen::VectorXd x, y, sqrt_w;
  double x0 = 0;  ///< centring of the linear term (conditioning)
};

struct StepSolution {
  double rss = std::numeric_limits<double>::infinity();
  Eigen::Vector4d coefficients = Eigen::Vector4d::Zero();  ///< a, b, h, d
};

using StepDesign = Eigen::Matrix<double, Eigen::Dynamic, 4>;

/// Weighted design matrix of the step model at (Tg, w): columns 1, T - T0, w softplus(u), -logistic(u)
/// with u = (T - Tg)/w, both from one exp(-|u|).
StepDesign step_design(const WindowData& data, double Tg, double w) {
  const Eigen::Index m = data.x.size();
  StepDesign A(m, 4);
  for (Eigen::Index i = 0; i < m; ++i) {
    const double u = (data.x[i] - Tg) / w;
    const double e = std::exp(-std::abs(u));
    const double softplus_u = std::max(u, 0.0) + std::log1p(e);
    const double logistic_u = u >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
    A(i, 0) = data.sqrt_w[i];
    A(i, 1) = data.sqrt_w[i] * (data.x[i] - data.x0);
    A(i, 2) = data.sqrt_w[i] * w * softplus_u;
    A(i, 3) = -data.sqrt_w[i] * logistic_u;
  }
  return A;
}

/// Least squares by the normal equations on unit-norm columns (4 x 4 LDL^T: the grid solves it
/// thousands of times); the residual sum is taken from the residuals themselves.
StepSolution solve_step(const WindowData& data, double Tg, double w) {
  const StepDesign A = step_design(data, Tg, w);
  const Eigen::VectorXd b = data.y.cwiseProduct(data.sqrt_w);
  const Eigen::Vector4d scale = A.colwise().norm().cwiseInverse().transpose();
  StepSolution s;
  if (!scale.allFinite()) return s;
  const Eigen::Matrix4d normal = scale.asDiagonal() * (A.transpose() * A) * scale.asDiagonal();
  const Eigen::LDLT<Eigen::Matrix4d> ldlt(normal);
  if (ldlt.info() != Eigen::Success || !(ldlt.rcond() > 1e-13)) return s;  // columns (nearly) dependent
  s.coefficients = scale.asDiagonal() * ldlt.solve(scale.asDiagonal() * (A.transpose() * b));
  s.rss = (A * s.coefficients - b).squaredNorm();
  return s;
}

/// Widths of the step tried at every Tg: from a kink (1 K) to a broad transition.
constexpr double kStepWidths_K[] = {1, 1.5, 2, 3, 4, 6, 8, 12, 16, 24};

}  // namespace

std::optional<Crystallization> locate_crystallization(const SmoothedSeries& seq, const CrystallizationOptions& options) {
  const std::vector<double>& x = seq.x;
  const std::vector<double>& z = seq.y_smooth;
  const std::vector<double>& slope = seq.dy_dx;
  if (x.size() < 7) return std::nullopt;
  const auto i = static_cast<std::size_t>(std::min_element(slope.begin(), slope.end()) - slope.begin());
  if (slope[i] >= 0 || i < 2) return std::nullopt;
  const double steepest_rise_before = *std::max_element(slope.begin(), slope.begin() + static_cast<std::ptrdiff_t>(i));
  if (-slope[i] < steepest_rise_before) return std::nullopt;
  std::size_t j = i, k = i;
  while (j > 0 && z[j - 1] >= z[j]) --j;
  while (k + 1 < z.size() && z[k + 1] <= z[k]) ++k;
  Crystallization c;
  c.drop = z[j] - z[k];
  c.drop_over_noise = seq.residual_rms > 0 ? c.drop / seq.residual_rms : std::numeric_limits<double>::infinity();
  if (c.drop_over_noise < options.min_drop_over_noise) return std::nullopt;
  c.steepest_K = x[i];
  c.steepest_slope = slope[i];
  c.preceding_maximum_K = x[j];
  c.fall_end_K = x[k];
  c.onset_K = std::max(x[j], x[i] - (z[j] - z[i]) / (-slope[i]));
  c.slope_fwhm_K = slope_dip_fwhm(x, slope, i);
  c.liquid_end_K = x[j] - c.slope_fwhm_K;
  c.criterion = fmt::format(
      "steepest fall of the smoothed Seq ({:.4g} per K at {:.1f} K) steeper than every rise before it, falling "
      "{:.3g} = {:.0f} x the residual rms (>= {:g}); onset where the tangent there meets the maximum before the "
      "fall ({:.1f} K); glass and liquid below that maximum minus the slope dip's FWHM ({:.1f} K)",
      c.steepest_slope, c.steepest_K, c.drop, c.drop_over_noise, options.min_drop_over_noise, c.preceding_maximum_K,
      c.slope_fwhm_K);
  return c;
}

GlassTransitionFit fit_glass_transition(std::span<const double> T_K, std::span<const double> seq,
                                        std::span<const double> weight, double T_end_K,
                                        std::optional<double> reference_Tg_K, const GlassTransitionOptions& options) {
  GlassTransitionFit fit;
  fit.method = "glass line + slope step h over width w at Tg + relaxation drop d, least squares on Seq(T_mid); "
               "Tg and w profiled on a grid, a, b, h, d linear";
  const std::optional<double> reference = options.Tg_hint_K ? options.Tg_hint_K : reference_Tg_K;
  if (!reference || !(*reference > 0) || T_K.size() != seq.size() || weight.size() != seq.size()) {
    fit.status = FitStatus::invalid_input;
    fit.reason = "no reference Tg (give a hint) or mismatched arrays";
    return fit;
  }
  fit.window_lo_K = (1.0 - options.window_below_fraction) * *reference;
  fit.window_hi_K = T_end_K;
  std::vector<std::size_t> in;
  for (std::size_t i = 0; i < T_K.size(); ++i)
    if (T_K[i] >= fit.window_lo_K && T_K[i] <= fit.window_hi_K) in.push_back(i);
  fit.points = static_cast<int>(in.size());
  const auto min_side = static_cast<std::size_t>(options.min_points_each_side);
  if (in.size() < 2 * min_side + 4) {
    fit.status = FitStatus::insufficient_data;
    fit.reason = fmt::format("{} points in [{:.1f}, {:.1f}] K, need {}", in.size(), fit.window_lo_K, fit.window_hi_K,
                             2 * min_side + 4);
    return fit;
  }
  WindowData data;
  const auto m = static_cast<Eigen::Index>(in.size());
  data.x.resize(m);
  data.y.resize(m);
  data.sqrt_w.resize(m);
  for (Eigen::Index r = 0; r < m; ++r) {
    const std::size_t i = in[static_cast<std::size_t>(r)];
    data.x[r] = T_K[i];
    data.y[r] = seq[i];
    data.sqrt_w[r] = std::sqrt(weight[i]);
  }
  data.x0 = 0.5 * (data.x[0] + data.x[m - 1]);
  // Tg grid: within +-fraction of the reference, with min_points_each_side data points either side.
  fit.centre_lo_K = std::max((1.0 - options.centre_range_fraction) * *reference, data.x[static_cast<Eigen::Index>(min_side) - 1]);
  fit.centre_hi_K = std::min((1.0 + options.centre_range_fraction) * *reference, data.x[m - static_cast<Eigen::Index>(min_side)]);
  const int grid_n = static_cast<int>(std::floor((fit.centre_hi_K - fit.centre_lo_K) / options.grid_step_K)) + 1;
  if (grid_n < 3) {
    fit.status = FitStatus::insufficient_data;
    fit.reason = fmt::format("the data in [{:.1f}, {:.1f}] K leave no room for Tg near {:.0f} K with {} points each side",
                             fit.window_lo_K, fit.window_hi_K, *reference, min_side);
    return fit;
  }
  const double max_width = 0.25 * (data.x[m - 1] - data.x[0]);
  std::vector<double> profile(static_cast<std::size_t>(grid_n), std::numeric_limits<double>::infinity());
  std::vector<double> profile_width(static_cast<std::size_t>(grid_n), 0.0);
  for (int g = 0; g < grid_n; ++g) {
    const double Tg = fit.centre_lo_K + g * options.grid_step_K;
    for (const double w : kStepWidths_K) {
      if (w > max_width) break;
      const StepSolution s = solve_step(data, Tg, w);
      if (s.rss < profile[static_cast<std::size_t>(g)]) {
        profile[static_cast<std::size_t>(g)] = s.rss;
        profile_width[static_cast<std::size_t>(g)] = w;
      }
    }
  }
  const auto best = static_cast<std::size_t>(std::min_element(profile.begin(), profile.end()) - profile.begin());
  const double best_Tg = fit.centre_lo_K + static_cast<double>(best) * options.grid_step_K;
  const double rss = profile[best];
  if (!std::isfinite(rss)) {
    fit.status = FitStatus::ill_conditioned;
    fit.reason = "the step model's design matrix is rank-deficient at every Tg";
    return fit;
  }
  const double sigma2 = rss / static_cast<double>(m - 6);
  fit.residual_rms = std::sqrt(rss / static_cast<double>(m));
  fit.width_K = profile_width[best];
  const StepSolution solution = solve_step(data, best_Tg, fit.width_K);
  const StepDesign A = step_design(data, best_Tg, fit.width_K);
  const Eigen::Matrix4d covariance = sigma2 * (A.transpose() * A).inverse();
  const double h = solution.coefficients[2];
  const double h_stderr = std::sqrt(std::max(0.0, covariance(2, 2)));
  fit.level_a = solution.coefficients[0];
  fit.centre_x0_K = data.x0;
  fit.slope_glass = solution.coefficients[1];
  fit.slope_liquid = solution.coefficients[1] + h;
  fit.heat_capacity_step = best_Tg * h;
  fit.relaxation_drop = solution.coefficients[3];
  fit.step_significance = h_stderr > 0 ? h / h_stderr : 0.0;
  // 1-sigma profile-likelihood interval: where the profile stays within sigma^2 of its minimum.
  std::size_t lo = best, hi = best;
  while (lo > 0 && profile[lo - 1] <= rss + sigma2) --lo;
  while (hi + 1 < profile.size() && profile[hi + 1] <= rss + sigma2) ++hi;
  fit.Tg_interval_lo_K = fit.centre_lo_K + static_cast<double>(lo) * options.grid_step_K;
  fit.Tg_interval_hi_K = fit.centre_lo_K + static_cast<double>(hi) * options.grid_step_K;
  if (best == 0 || best + 1 == profile.size()) {
    fit.status = FitStatus::out_of_window;
    fit.reason = fmt::format("the best step lies on the edge of the Tg search range [{:.1f}, {:.1f}] K",
                             fit.centre_lo_K, fit.centre_hi_K);
    return fit;
  }
  if (!(h > 0) || fit.step_significance < options.min_step_significance) {
    fit.status = FitStatus::not_significant;
    fit.reason = fmt::format("no significant slope increase: h = {:.3g} +- {:.3g} per K ({:.1f} sigma, need {:g})", h,
                             h_stderr, fit.step_significance, options.min_step_significance);
    return fit;
  }
  fit.Tg_K = best_Tg;
  fit.Tg_stderr_K = std::max(0.5 * (fit.Tg_interval_hi_K - fit.Tg_interval_lo_K), 0.5 * options.grid_step_K);
  return fit;
}

double evaluate_glass_transition(const GlassTransitionFit& fit, double T_K) {
  if (!fit.Tg_K) return std::numeric_limits<double>::quiet_NaN();
  const double w = fit.width_K, u = (T_K - *fit.Tg_K) / w;
  return fit.level_a + fit.slope_glass * (T_K - fit.centre_x0_K) + (fit.slope_liquid - fit.slope_glass) * w * softplus(u) -
         fit.relaxation_drop * logistic(u);
}

}  // namespace glasslab::analysis
