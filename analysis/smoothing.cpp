// Whittaker smoother with GCV and the Savitzky-Golay baseline (see smoothing.hpp).
#include "analysis/smoothing.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include <Eigen/Dense>
#include <Eigen/SparseCholesky>
#include <Eigen/SparseCore>
#include <fmt/format.h>

namespace glasslab::analysis {
namespace {

using SparseMatrix = Eigen::SparseMatrix<double>;
using Solver = Eigen::SimplicialLDLT<SparseMatrix, Eigen::Lower, Eigen::NaturalOrdering<int>>;

struct MergedSeries {
  std::vector<double> x, y, weight;
};

/// Sorts by x and merges points closer than 1e-9 of the span (mean y, weight = count): divided
/// differences need distinct abscissae.
MergedSeries merge_sorted(std::span<const double> x, std::span<const double> y) {
  if (x.size() != y.size()) {
    throw std::invalid_argument(fmt::format("x has {} points but y has {}", x.size(), y.size()));
  }
  std::vector<std::size_t> order(x.size());
  std::iota(order.begin(), order.end(), 0);
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i]) || !std::isfinite(y[i])) {
      throw std::invalid_argument(fmt::format("non-finite value at index {} (x = {}, y = {})", i, x[i], y[i]));
    }
  }
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return x[a] < x[b]; });
  MergedSeries merged;
  if (order.empty()) return merged;
  const double tolerance = 1e-9 * std::max(1.0, x[order.back()] - x[order.front()]);
  for (const std::size_t i : order) {
    if (!merged.x.empty() && x[i] - merged.x.back() <= tolerance) {
      double& w = merged.weight.back();
      merged.y.back() = (merged.y.back() * w + y[i]) / (w + 1);
      w += 1;
    } else {
      merged.x.push_back(x[i]);
      merged.y.push_back(y[i]);
      merged.weight.push_back(1);
    }
  }
  return merged;
}

/// Order-d divided differences scaled by d! (so D_d z approximates z^(d)), as a sparse matrix.
SparseMatrix divided_difference_matrix(const std::vector<double>& x, int order) {
  const int n = static_cast<int>(x.size());
  SparseMatrix D(n, n);
  D.setIdentity();
  for (int k = 1; k <= order; ++k) {
    const int rows = n - k;
    std::vector<Eigen::Triplet<double>> triplets;
    triplets.reserve(2 * rows);
    for (int i = 0; i < rows; ++i) {
      const double scale = k / (x[i + k] - x[i]);
      triplets.emplace_back(i, i, -scale);
      triplets.emplace_back(i, i + 1, scale);
    }
    SparseMatrix step(rows, n - k + 1);
    step.setFromTriplets(triplets.begin(), triplets.end());
    D = (step * D).pruned();
  }
  return D;
}

/// The penalty D' V D with v_j = (x_{j+d} - x_j)/d.
SparseMatrix penalty_matrix(const std::vector<double>& x, int order) {
  const SparseMatrix D = divided_difference_matrix(x, order);
  Eigen::VectorXd v(D.rows());
  for (int j = 0; j < D.rows(); ++j) v[j] = (x[j + order] - x[j]) / order;
  return SparseMatrix(D.transpose() * v.asDiagonal() * D);
}

/// Diagonal of A^-1 from the band of the LDL^T factors (Takahashi recurrence): for a band of
/// half-width p only the band of the inverse is needed, O(n p^2).
Eigen::VectorXd inverse_diagonal(const Solver& solver, int n, int p) {
  Eigen::MatrixXd L_band = Eigen::MatrixXd::Zero(n, p + 1);  // L_band(i, m) = L(i + m, i)
  const SparseMatrix L = solver.matrixL();
  for (int col = 0; col < n; ++col) {
    for (SparseMatrix::InnerIterator it(L, col); it; ++it) {
      const int m = static_cast<int>(it.row()) - col;
      if (m >= 1 && m <= p) L_band(col, m) = it.value();
    }
  }
  const Eigen::VectorXd D = solver.vectorD();
  Eigen::MatrixXd Z = Eigen::MatrixXd::Zero(n, p + 1);  // Z(i, m) = (A^-1)(i, i + m)
  auto z_at = [&](int a, int b) { return a <= b ? Z(a, b - a) : Z(b, a - b); };
  for (int i = n - 1; i >= 0; --i) {
    const int kmax = std::min(n - 1, i + p);
    for (int j = kmax; j >= i; --j) {
      double value = (j == i) ? 1.0 / D[i] : 0.0;
      for (int k = i + 1; k <= kmax; ++k) value -= L_band(i, k - i) * z_at(k, j);
      Z(i, j - i) = value;
    }
  }
  return Z.col(0);
}

struct WhittakerEvaluation {
  Eigen::VectorXd z;
  double gcv = 0;
  double trace_H = 0;
  double weighted_rss = 0;
};

class WhittakerSystem {
public:
  WhittakerSystem(const MergedSeries& s, int order)
      : series_(s), order_(order), n_(static_cast<int>(s.x.size())), penalty_(penalty_matrix(s.x, order)) {
    weights_ = Eigen::Map<const Eigen::VectorXd>(s.weight.data(), n_);
    wy_ = weights_.cwiseProduct(Eigen::Map<const Eigen::VectorXd>(s.y.data(), n_));
    SparseMatrix W(n_, n_);
    W.reserve(Eigen::VectorXi::Constant(n_, 1));
    for (int i = 0; i < n_; ++i) W.insert(i, i) = weights_[i];
    // A = W + lambda P keeps one pattern for every lambda: assemble it once and only refill its
    // values (W's and P's share of each stored entry) per evaluation.
    A_ = SparseMatrix(W + penalty_);
    A_.makeCompressed();
    w_values_.resize(A_.nonZeros());
    p_values_.resize(A_.nonZeros());
    for (int col = 0, k = 0; col < A_.outerSize(); ++col) {
      for (SparseMatrix::InnerIterator it(A_, col); it; ++it, ++k) {
        w_values_[k] = it.row() == it.col() ? weights_[col] : 0.0;
        p_values_[k] = penalty_.coeff(it.row(), it.col());
      }
    }
    solver_.analyzePattern(A_);
  }

  WhittakerEvaluation evaluate(double lambda) {
    double* values = A_.valuePtr();
    for (Eigen::Index k = 0; k < A_.nonZeros(); ++k) values[k] = w_values_[k] + lambda * p_values_[k];
    solver_.factorize(A_);
    if (solver_.info() != Eigen::Success) {
      throw std::runtime_error(fmt::format("Whittaker system not positive definite at lambda = {}", lambda));
    }
    WhittakerEvaluation e;
    e.z = solver_.solve(wy_);
    const Eigen::VectorXd inv_diag = inverse_diagonal(solver_, n_, order_);
    e.trace_H = inv_diag.dot(weights_);
    const Eigen::VectorXd residual = Eigen::Map<const Eigen::VectorXd>(series_.y.data(), n_) - e.z;
    e.weighted_rss = residual.cwiseProduct(residual).dot(weights_);
    const double denominator = n_ - e.trace_H;
    e.gcv = denominator > 0 ? n_ * e.weighted_rss / (denominator * denominator)
                            : std::numeric_limits<double>::infinity();
    return e;
  }

  /// The factorisation of the last evaluate()d system.
  const Solver& solver() const { return solver_; }
  /// Typical size of the penalty's diagonal, to centre the lambda scan.
  double penalty_scale() const { return penalty_.diagonal().mean(); }
  int size() const { return n_; }

private:
  const MergedSeries& series_;
  int order_;
  int n_;
  SparseMatrix penalty_, A_;
  Eigen::VectorXd weights_, wy_, w_values_, p_values_;
  Solver solver_;
};

/// Coarse scan of log10(lambda), then golden-section refinement around the best grid point.
double choose_lambda_by_gcv(WhittakerSystem& system, int order, int points_per_decade) {
  const double centre = -std::log10(system.penalty_scale());
  const double lo = centre - 6;
  const double hi = centre + 2.0 * order * std::log10(system.size()) + 2;
  const int steps = std::max(8, static_cast<int>((hi - lo) * points_per_decade));
  double best_log = lo, best_gcv = std::numeric_limits<double>::infinity();
  for (int s = 0; s <= steps; ++s) {
    const double log_lambda = lo + (hi - lo) * s / steps;
    const double gcv = system.evaluate(std::pow(10.0, log_lambda)).gcv;
    if (gcv < best_gcv) {
      best_gcv = gcv;
      best_log = log_lambda;
    }
  }
  const double step = (hi - lo) / steps;
  double a = best_log - step, b = best_log + step;
  const double ratio = (std::sqrt(5.0) - 1) / 2;
  double c = b - ratio * (b - a), d = a + ratio * (b - a);
  double gc = system.evaluate(std::pow(10.0, c)).gcv, gd = system.evaluate(std::pow(10.0, d)).gcv;
  for (int iteration = 0; iteration < 30 && b - a > 1e-3; ++iteration) {
    if (gc < gd) {
      b = d; d = c; gd = gc;
      c = b - ratio * (b - a);
      gc = system.evaluate(std::pow(10.0, c)).gcv;
    } else {
      a = c; c = d; gc = gd;
      d = a + ratio * (b - a);
      gd = system.evaluate(std::pow(10.0, d)).gcv;
    }
  }
  const double refined = gc < gd ? c : d;
  return std::pow(10.0, std::min(gc, gd) <= best_gcv ? refined : best_log);
}

double rms_difference(const std::vector<double>& a, const std::vector<double>& b) {
  double sum = 0;
  for (std::size_t i = 0; i < a.size(); ++i) sum += (a[i] - b[i]) * (a[i] - b[i]);
  return a.empty() ? 0 : std::sqrt(sum / a.size());
}

}  // namespace

std::string SmoothedSeries::describe() const {
  if (method == "whittaker") {
    return fmt::format("Whittaker smoother, order-{} divided differences, lambda = {:.4g}{}, GCV = {:.4g}, "
                       "effective dof = {:.2f} of {} points{}", order, lambda, lambda_from_gcv ? " (GCV)" : " (fixed)",
                       gcv_score, effective_dof, lambda_points > 0 ? static_cast<std::size_t>(lambda_points) : x.size(), note);
  }
  return fmt::format("Savitzky-Golay, polynomial order {}, {} points on a uniform grid of step {:.4g}{}",
                     order, window_points, grid_step, note);
}

namespace {

/// The three-point stencil of nonuniform_derivative at point i: d_i = sum_k c[k] y[first + k].
struct DerivativeStencil {
  std::size_t first = 0;
  double c[3] = {0, 0, 0};
};

/// Second-order formulas on a non-uniform grid: central inside, one-sided at the ends (n >= 3).
DerivativeStencil derivative_stencil(std::span<const double> x, std::size_t i) {
  const std::size_t n = x.size();
  DerivativeStencil s;
  if (i == 0) {
    const double h1 = x[1] - x[0], h2 = x[2] - x[1];
    s.first = 0;
    s.c[0] = -(2 * h1 + h2) / (h1 * (h1 + h2));
    s.c[1] = (h1 + h2) / (h1 * h2);
    s.c[2] = -h1 / (h2 * (h1 + h2));
  } else if (i == n - 1) {
    const double g1 = x[n - 2] - x[n - 3], g2 = x[n - 1] - x[n - 2];
    s.first = n - 3;
    s.c[0] = g2 / (g1 * (g1 + g2));
    s.c[1] = -(g1 + g2) / (g1 * g2);
    s.c[2] = (2 * g2 + g1) / (g2 * (g1 + g2));
  } else {
    const double h1 = x[i] - x[i - 1], h2 = x[i + 1] - x[i];
    s.first = i - 1;
    s.c[0] = -h2 / (h1 * (h1 + h2));
    s.c[1] = (h2 - h1) / (h1 * h2);
    s.c[2] = h1 / (h2 * (h1 + h2));
  }
  return s;
}

}  // namespace

std::vector<double> nonuniform_derivative(std::span<const double> x, std::span<const double> y) {
  const std::size_t n = x.size();
  std::vector<double> d(n, 0.0);
  if (n < 2) return d;
  if (n == 2) {
    d[0] = d[1] = (y[1] - y[0]) / (x[1] - x[0]);
    return d;
  }
  for (std::size_t i = 0; i < n; ++i) {
    const DerivativeStencil s = derivative_stencil(x, i);
    d[i] = s.c[0] * y[s.first] + s.c[1] * y[s.first + 1] + s.c[2] * y[s.first + 2];
  }
  return d;
}

double interpolate_linear(std::span<const double> x, std::span<const double> y, double xq) {
  if (x.empty()) return std::numeric_limits<double>::quiet_NaN();
  if (xq <= x.front()) return y.front();
  if (xq >= x.back()) return y.back();
  const auto it = std::upper_bound(x.begin(), x.end(), xq);
  const std::size_t i = static_cast<std::size_t>(it - x.begin());
  const double t = (xq - x[i - 1]) / (x[i] - x[i - 1]);
  return y[i - 1] + t * (y[i] - y[i - 1]);
}

double whittaker_gcv(std::span<const double> x, std::span<const double> y, int order, double lambda) {
  const MergedSeries merged = merge_sorted(x, y);
  WhittakerSystem system(merged, order);
  return system.evaluate(lambda).gcv;
}

SmoothedSeries whittaker_smooth(std::span<const double> x, std::span<const double> y,
                                const WhittakerOptions& options) {
  if (options.order < 1 || options.order > 4) {
    throw std::invalid_argument(fmt::format("Whittaker order {} unsupported (use 2 or 3)", options.order));
  }
  MergedSeries merged = merge_sorted(x, y);
  if (static_cast<int>(merged.x.size()) < options.order + 2) {
    throw std::invalid_argument(fmt::format("{} distinct x values, the order-{} smoother needs at least {}",
                                            merged.x.size(), options.order, options.order + 2));
  }
  WhittakerSystem system(merged, options.order);
  SmoothedSeries out;
  out.method = "whittaker";
  out.order = options.order;
  out.lambda_from_gcv = !options.lambda.has_value();
  out.lambda = options.lambda ? *options.lambda : choose_lambda_by_gcv(system, options.order, options.grid_points_per_decade);
  const WhittakerEvaluation e = system.evaluate(out.lambda);
  out.gcv_score = e.gcv;
  out.effective_dof = e.trace_H;
  out.y_smooth.assign(e.z.data(), e.z.data() + e.z.size());
  out.dy_dx = nonuniform_derivative(merged.x, out.y_smooth);
  out.residual_rms = rms_difference(merged.y, out.y_smooth);
  out.x = std::move(merged.x);
  out.y_input = std::move(merged.y);
  out.weight = std::move(merged.weight);
  return out;
}

namespace {

/// nonuniform_derivative as a sparse n x n matrix (its stencils as rows; n >= 3).
SparseMatrix derivative_matrix(std::span<const double> x) {
  const int n = static_cast<int>(x.size());
  std::vector<Eigen::Triplet<double>> triplets;
  triplets.reserve(3 * static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const DerivativeStencil s = derivative_stencil(x, static_cast<std::size_t>(i));
    for (int k = 0; k < 3; ++k) triplets.emplace_back(i, static_cast<int>(s.first) + k, s.c[k]);
  }
  SparseMatrix D(n, n);
  D.setFromTriplets(triplets.begin(), triplets.end());
  return D;
}

/// sqrt(sigma^2 * sum_k w_k (A^-1 c_i)_k^2) for every row c_i of `rows` (Cov(z) = sigma^2 A^-1 W A^-1).
std::vector<double> linear_functional_stderr(const Solver& solver, const SparseMatrix& rows,
                                             const Eigen::VectorXd& weights, double sigma) {
  const Eigen::MatrixXd solved = solver.solve(Eigen::MatrixXd(rows.transpose()));  // column i = A^-1 c_i
  std::vector<double> out(static_cast<std::size_t>(rows.rows()));
  for (int i = 0; i < rows.rows(); ++i)
    out[static_cast<std::size_t>(i)] = sigma * std::sqrt(solved.col(i).cwiseAbs2().dot(weights));
  return out;
}

}  // namespace

DerivativeErrors whittaker_derivative_errors(const SmoothedSeries& smoothed) {
  if (smoothed.method != "whittaker" || smoothed.weight.size() != smoothed.x.size() || smoothed.x.size() < 4) {
    throw std::invalid_argument("derivative errors need a Whittaker result with its weights (4 points or more)");
  }
  const MergedSeries merged{smoothed.x, smoothed.y_input, smoothed.weight};
  WhittakerSystem system(merged, smoothed.order);
  const WhittakerEvaluation e = system.evaluate(smoothed.lambda);
  const double dof = static_cast<double>(merged.x.size()) - e.trace_H;
  DerivativeErrors out;
  out.noise_sigma = dof > 0 ? std::sqrt(e.weighted_rss / dof) : 0.0;
  const SparseMatrix D = derivative_matrix(merged.x);
  const SparseMatrix D2 = SparseMatrix(D * D);
  const Eigen::VectorXd weights = Eigen::Map<const Eigen::VectorXd>(merged.weight.data(), static_cast<int>(merged.weight.size()));
  out.slope_stderr = linear_functional_stderr(system.solver(), D, weights, out.noise_sigma);
  out.curvature_stderr = linear_functional_stderr(system.solver(), D2, weights, out.noise_sigma);
  return out;
}

SmoothedSeries savitzky_golay_smooth(std::span<const double> x, std::span<const double> y,
                                     const SavitzkyGolayOptions& options) {
  if (options.window_points % 2 == 0 || options.window_points <= options.polynomial_order) {
    throw std::invalid_argument(fmt::format("Savitzky-Golay window {} must be odd and longer than order {}",
                                            options.window_points, options.polynomial_order));
  }
  MergedSeries merged = merge_sorted(x, y);
  const std::size_t n = merged.x.size();
  if (n < 3) throw std::invalid_argument("Savitzky-Golay needs at least 3 distinct x values");
  std::vector<double> spacing(n - 1);
  for (std::size_t i = 0; i + 1 < n; ++i) spacing[i] = merged.x[i + 1] - merged.x[i];
  std::nth_element(spacing.begin(), spacing.begin() + spacing.size() / 2, spacing.end());
  const double step = options.grid_step.value_or(spacing[spacing.size() / 2]);
  const int grid_n = static_cast<int>(std::floor((merged.x.back() - merged.x.front()) / step)) + 1;
  const int half = options.window_points / 2;
  if (grid_n < options.window_points) {
    throw std::invalid_argument(fmt::format("Savitzky-Golay: {} grid points, fewer than the window {}", grid_n,
                                            options.window_points));
  }
  std::vector<double> grid_x(grid_n), grid_y(grid_n);
  for (int i = 0; i < grid_n; ++i) {
    grid_x[i] = merged.x.front() + i * step;
    grid_y[i] = interpolate_linear(merged.x, merged.y, grid_x[i]);
  }
  // Local polynomial in offsets (grid steps); evaluating the fit of a window at any offset gives the
  // smoothed value and derivative, at the centre for interior points and off-centre at the edges
  // (scipy's mode="interp").
  const int p = options.polynomial_order;
  Eigen::MatrixXd V(options.window_points, p + 1);
  for (int r = 0; r < options.window_points; ++r)
    for (int c = 0; c <= p; ++c) V(r, c) = std::pow(static_cast<double>(r - half), c);
  const Eigen::MatrixXd fit_matrix = V.completeOrthogonalDecomposition().pseudoInverse();  // (p+1) x window
  std::vector<double> grid_smooth(grid_n), grid_slope(grid_n);
  auto evaluate_window = [&](int start, int target) {
    const Eigen::VectorXd coefficients =
        fit_matrix * Eigen::Map<const Eigen::VectorXd>(grid_y.data() + start, options.window_points);
    const double u = target - (start + half);
    double value = 0, slope = 0;
    for (int c = p; c >= 0; --c) value = value * u + coefficients[c];
    for (int c = p; c >= 1; --c) slope = slope * u + c * coefficients[c];
    grid_smooth[target] = value;
    grid_slope[target] = slope / step;
  };
  for (int i = 0; i < grid_n; ++i) {
    const int start = std::clamp(i - half, 0, grid_n - options.window_points);
    evaluate_window(start, i);
  }
  SmoothedSeries out;
  out.method = "savitzky_golay";
  out.order = p;
  out.window_points = options.window_points;
  out.grid_step = step;
  out.y_smooth.resize(n);
  out.dy_dx.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    out.y_smooth[i] = interpolate_linear(grid_x, grid_smooth, merged.x[i]);
    out.dy_dx[i] = interpolate_linear(grid_x, grid_slope, merged.x[i]);
  }
  out.residual_rms = rms_difference(merged.y, out.y_smooth);
  out.x = std::move(merged.x);
  out.y_input = std::move(merged.y);
  out.weight = std::move(merged.weight);
  return out;
}

}  // namespace glasslab::analysis
