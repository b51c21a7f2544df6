#pragma once
// Smoothing and differentiation of noisy series on non-uniform x, such as Seq(T_mid_K)
// (reference/seq-analysis.md, "Differentiation of Seq(T)"; docs/analysis.md, "Smoothing").
//
// Whittaker smoother (Eilers, Anal. Chem. 75, 3631 (2003), "A perfect smoother"): minimise
//   sum_i w_i (y_i - z_i)^2 + lambda * sum_j v_j (D_d z)_j^2
// with D_d the order-d divided-difference matrix on the actual x (so uneven spacing is handled)
// and v_j = (x_{j+d} - x_j)/d the quadrature weight that makes the penalty approximate
// Int (z^(d))^2 dx. The system (W + lambda D'VD) z = W y is banded (bandwidth d) and solved with
// Eigen's sparse LDL^T in natural order. lambda is chosen by generalised cross-validation,
//   GCV(lambda) = n * sum w (y - z)^2 / (n - tr H)^2,  H = (W + lambda D'VD)^-1 W,
// with tr H from the band of the inverse (Takahashi/Hutchinson-de Hoog recurrence on the LDL^T).
//
// Savitzky-Golay is the baseline: y is resampled linearly on a uniform grid, filtered, and the
// result interpolated back to the original x.
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace glasslab::analysis {

struct SmoothedSeries {
  std::vector<double> x;       ///< increasing; duplicates in the input merged (mean y, weight = count)
  std::vector<double> y_input; ///< the (merged) input values at x
  std::vector<double> weight;  ///< points merged into each x (1 unless T_mid values coincided)
  std::vector<double> y_smooth;
  std::vector<double> dy_dx;   ///< derivative of the smooth curve at x
  std::string method;          ///< "whittaker" or "savitzky_golay"
  int order = 0;               ///< Whittaker: difference order; SG: polynomial order
  double lambda = 0;           ///< Whittaker: chosen lambda in units of [y]^0 [x]^(2d-1)
  bool lambda_from_gcv = false;
  double gcv_score = 0;        ///< Whittaker: GCV at the chosen lambda [y^2]
  double effective_dof = 0;    ///< Whittaker: tr H
  int window_points = 0;       ///< SG: window length on the uniform grid
  double grid_step = 0;        ///< SG: uniform grid step [x]
  double residual_rms = 0;     ///< rms of y_input - y_smooth
  std::string note;            ///< appended to describe(), e.g. how a piecewise series was joined
  int lambda_points = 0;       ///< points lambda/GCV/dof refer to (0: all of x; less for a joined series)

  std::string describe() const;  ///< one line for reports, e.g. "whittaker d=3 lambda=... (GCV ...)"
};

struct WhittakerOptions {
  int order = 3;                   ///< 2 or 3; 3 gives a smoother first derivative
  std::optional<double> lambda;    ///< fixed lambda; otherwise chosen by GCV
  int grid_points_per_decade = 4;  ///< coarse GCV scan before golden-section refinement
};

/// Throws std::invalid_argument for fewer than order + 2 distinct x or non-finite input.
SmoothedSeries whittaker_smooth(std::span<const double> x, std::span<const double> y,
                                const WhittakerOptions& options = {});

/// Standard errors of a Whittaker result's derivative and curvature at each x (the smoother is
/// linear, z = A^-1 W y with A = W + lambda P, so Cov(z) = sigma^2 A^-1 W A^-1, with
/// sigma^2 = sum w (y - z)^2 / (n - tr H) the residual variance). The slope and curvature are
/// nonuniform_derivative applied once and twice, the same operators as SmoothedSeries::dy_dx.
/// They describe the noise only, not the smoother's bias (a sharp kink is rounded, not uncertain).
struct DerivativeErrors {
  double noise_sigma = 0;                  ///< estimated sigma of one input point [y]
  std::vector<double> slope_stderr;        ///< [y/x]
  std::vector<double> curvature_stderr;    ///< [y/x^2]
};
/// Throws std::invalid_argument unless `smoothed` is a Whittaker result.
DerivativeErrors whittaker_derivative_errors(const SmoothedSeries& smoothed);

/// GCV score of one lambda (for reports and tests of the selection).
double whittaker_gcv(std::span<const double> x, std::span<const double> y, int order, double lambda);

struct SavitzkyGolayOptions {
  int window_points = 21;          ///< odd; on the uniform grid
  int polynomial_order = 3;
  std::optional<double> grid_step; ///< default: median spacing of x
};

SmoothedSeries savitzky_golay_smooth(std::span<const double> x, std::span<const double> y,
                                     const SavitzkyGolayOptions& options = {});

/// Second-order three-point derivative on a non-uniform grid (one-sided at the ends).
std::vector<double> nonuniform_derivative(std::span<const double> x, std::span<const double> y);

/// Linear interpolation of (x, y) at xq; constant extrapolation outside.
double interpolate_linear(std::span<const double> x, std::span<const double> y, double xq);

}  // namespace glasslab::analysis
