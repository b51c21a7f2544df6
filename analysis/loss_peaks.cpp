// Multi-peak Cole-Cole fit with Eigen's Levenberg-Marquardt (see loss_peaks.hpp).
#include "analysis/loss_peaks.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>

#include <Eigen/Dense>
#include <fmt/format.h>
#include <unsupported/Eigen/NonLinearOptimization>

#include "analysis/seq.hpp"  // kBoltzmann_eV_per_K

namespace glasslab::analysis {
namespace {

constexpr int kPeakParameters = 3;  // ln H, Tp, ln w

struct Problem {
  Eigen::VectorXd T, y;
  std::vector<double> cos_term;  // c = cos(pi b / 2) per peak
  int peaks = 0;
  int background_terms = 1;
  double T_centre = 0, T_scale = 1;
};

/// The functor Eigen's MINPACK port expects: residuals model - y and their analytic Jacobian.
struct ResidualFunctor {
  const Problem& problem;
  int m, n;
  int values() const { return m; }
  int inputs() const { return n; }

  int operator()(const Eigen::VectorXd& p, Eigen::VectorXd& f) const {
    f = -problem.y;
    for (int i = 0; i < m; ++i) f[i] += model(p, problem.T[i]);
    return f.allFinite() ? 0 : -1;  // a negative return stops the solver (reported as not converged)
  }

  int df(const Eigen::VectorXd& p, Eigen::MatrixXd& J) const {
    J.resize(m, n);
    for (int i = 0; i < m; ++i) {
      const double T = problem.T[i];
      for (int j = 0; j < problem.peaks; ++j) {
        const double H = std::exp(p[3 * j]), Tp = p[3 * j + 1], w = std::exp(p[3 * j + 2]);
        const double c = problem.cos_term[j];
        const double s = w * (1.0 / T - 1.0 / Tp);
        const double denominator = 2 * std::cosh(s) + 2 * c;
        const double L = H * (2 + 2 * c) / denominator;
        const double dL_ds = -H * (2 + 2 * c) * 2 * std::sinh(s) / (denominator * denominator);
        J(i, 3 * j) = L;
        J(i, 3 * j + 1) = dL_ds * w / (Tp * Tp);
        J(i, 3 * j + 2) = dL_ds * s;
      }
      const double u = (T - problem.T_centre) / problem.T_scale;
      double power = 1;
      for (int k = 0; k < problem.background_terms; ++k, power *= u) J(i, kPeakParameters * problem.peaks + k) = power;
    }
    return J.allFinite() ? 0 : -1;
  }

  double model(const Eigen::VectorXd& p, double T) const {
    double value = 0;
    for (int j = 0; j < problem.peaks; ++j) {
      const double c = problem.cos_term[j];
      const double s = std::exp(p[3 * j + 2]) * (1.0 / T - 1.0 / p[3 * j + 1]);
      value += std::exp(p[3 * j]) * (2 + 2 * c) / (2 * std::cosh(s) + 2 * c);
    }
    const double u = (T - problem.T_centre) / problem.T_scale;
    double power = 1;
    for (int k = 0; k < problem.background_terms; ++k, power *= u) value += p[kPeakParameters * problem.peaks + k] * power;
    return value;
  }
};

std::string solver_status_text(Eigen::LevenbergMarquardtSpace::Status status) {
  using namespace Eigen::LevenbergMarquardtSpace;
  switch (status) {
    case ImproperInputParameters: return "improper_input_parameters";
    case RelativeReductionTooSmall: return "relative_reduction_too_small";
    case RelativeErrorTooSmall: return "relative_error_too_small";
    case RelativeErrorAndReductionTooSmall: return "relative_error_and_reduction_too_small";
    case CosinusTooSmall: return "cosinus_too_small";
    case TooManyFunctionEvaluation: return "too_many_function_evaluations";
    case FtolTooSmall: return "ftol_too_small";
    case XtolTooSmall: return "xtol_too_small";
    case GtolTooSmall: return "gtol_too_small";
    case UserAsked: return "stopped_on_non_finite_model";
    default: return "unknown";
  }
}

/// Moving average over +-3 points of data sorted by T: enough to find maxima and half widths.
std::vector<double> moving_average(const Eigen::VectorXd& y) {
  const int n = static_cast<int>(y.size());
  std::vector<double> out(n);
  for (int i = 0; i < n; ++i) {
    const int lo = std::max(0, i - 3), hi = std::min(n - 1, i + 3);
    out[i] = y.segment(lo, hi - lo + 1).mean();
  }
  return out;
}

struct StartingPeak {
  double height, Tp, width;
};

/// Starting values from the smoothed data: the maximum inside the window, or, when the maximum
/// sits on the window's edge (a shoulder or a neighbour's tail), the point of most negative
/// curvature; the width from the half maximum, else from the expected energy.
StartingPeak starting_peak(const Problem& problem, const std::vector<double>& smooth, double baseline,
                           const RelaxationSpec& spec, double c) {
  const int n = static_cast<int>(smooth.size());
  int first = n, last = -1;
  for (int i = 0; i < n; ++i) {
    if (problem.T[i] >= spec.T_window_lo_K && problem.T[i] <= spec.T_window_hi_K) {
      first = std::min(first, i);
      last = std::max(last, i);
    }
  }
  int peak = first;
  for (int i = first; i <= last; ++i) if (smooth[i] > smooth[peak]) peak = i;
  if (peak <= first + 1 || peak >= last - 1) {
    double most_negative = 0;
    for (int i = std::max(first, 1); i <= std::min(last, n - 2); ++i) {
      const double second = smooth[i - 1] - 2 * smooth[i] + smooth[i + 1];
      if (second < most_negative) {
        most_negative = second;
        peak = i;
      }
    }
  }
  StartingPeak start;
  start.Tp = problem.T[peak];
  const double range = *std::max_element(smooth.begin(), smooth.end()) - baseline;
  start.height = std::max(smooth[peak] - baseline, 1e-3 * std::max(range, 1e-12));
  const double half = baseline + 0.5 * start.height;
  std::optional<double> delta_inverse_T;
  for (int i = peak; i >= 0; --i) {
    if (smooth[i] < half) { delta_inverse_T = 1.0 / problem.T[i] - 1.0 / start.Tp; break; }
  }
  for (int i = peak; i < n; ++i) {
    if (smooth[i] < half) {
      const double d = 1.0 / start.Tp - 1.0 / problem.T[i];
      delta_inverse_T = delta_inverse_T ? std::min(*delta_inverse_T, d) : d;
      break;
    }
  }
  if (delta_inverse_T && *delta_inverse_T > 0) {
    start.width = std::acosh(2 + c) / *delta_inverse_T;
  } else {
    start.width = spec.shape_b * spec.expected_energy_eV / kBoltzmann_eV_per_K;
  }
  return start;
}

/// Condition number of J with unit-norm columns, and which parameter the weakest direction is.
std::pair<double, int> scaled_condition(const Eigen::MatrixXd& J, Eigen::VectorXd& column_norms) {
  column_norms = J.colwise().norm().transpose();
  Eigen::MatrixXd scaled = J;
  for (int k = 0; k < J.cols(); ++k) {
    if (column_norms[k] == 0) return {std::numeric_limits<double>::infinity(), k};
    scaled.col(k) /= column_norms[k];
  }
  Eigen::JacobiSVD<Eigen::MatrixXd> svd(scaled, Eigen::ComputeThinV);
  const auto& sv = svd.singularValues();
  int weakest = 0;
  svd.matrixV().col(sv.size() - 1).cwiseAbs().maxCoeff(&weakest);
  const double smallest = sv[sv.size() - 1];
  return {smallest > 0 ? sv[0] / smallest : std::numeric_limits<double>::infinity(), weakest};
}

std::string parameter_name(const std::vector<PeakFit>& peaks, int index) {
  if (index < kPeakParameters * static_cast<int>(peaks.size())) {
    static constexpr const char* kNames[] = {"height", "Tp", "width"};
    return fmt::format("{} {}", peaks[index / 3].name, kNames[index % 3]);
  }
  return fmt::format("background c{}", index - kPeakParameters * static_cast<int>(peaks.size()));
}

}  // namespace

std::vector<RelaxationSpec> paper_relaxations() {
  return {{"gamma", 150.0, 400.0, 0.5, 0.28}, {"beta", 400.0, 650.0, 0.4, 1.29}, {"alpha", 650.0, 820.0, 0.5, 7.51}};
}

double cole_cole_peak(double T_K, double height, double Tp_K, double width_K, double shape_b) {
  const double c = std::cos(std::numbers::pi * shape_b / 2);
  const double s = width_K * (1.0 / T_K - 1.0 / Tp_K);
  return height * (2 + 2 * c) / (2 * std::cosh(s) + 2 * c);
}

double cole_cole_reference(double T_K, double amplitude_A, double Tp_K, double energy_eV, double shape_b) {
  const double x = std::exp(energy_eV / kBoltzmann_eV_per_K * (1.0 / T_K - 1.0 / Tp_K));
  const double xb = std::pow(x, shape_b);
  const double half_angle = std::numbers::pi * shape_b / 2;
  return amplitude_A * xb * std::sin(half_angle) / (1 + 2 * xb * std::cos(half_angle) + xb * xb);
}

namespace {

/// Builds the problem (sorted data, peaks with data in their windows) and the starting vector.
Eigen::VectorXd prepare(std::span<const double> T_K, std::span<const double> y,
                        const std::vector<RelaxationSpec>& relaxations, const PeakFitOptions& options,
                        Problem& problem, FrequencyFit& fit, std::vector<const RelaxationSpec*>& used) {
  std::vector<std::size_t> order(T_K.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return T_K[a] < T_K[b]; });
  const int m = static_cast<int>(order.size());
  problem.T.resize(m);
  problem.y.resize(m);
  for (int i = 0; i < m; ++i) {
    problem.T[i] = T_K[order[i]];
    problem.y[i] = y[order[i]];
  }
  problem.T_centre = 0.5 * (problem.T[0] + problem.T[m - 1]);
  problem.T_scale = std::max(0.5 * (problem.T[m - 1] - problem.T[0]), 1e-9);
  problem.background_terms = options.background_degree + 1;
  fit.T_centre_K = problem.T_centre;
  fit.T_scale_K = problem.T_scale;

  const std::vector<double> smooth = moving_average(problem.y);
  const double baseline = *std::min_element(smooth.begin(), smooth.end());
  std::vector<StartingPeak> starts;
  for (const RelaxationSpec& spec : relaxations) {
    const int inside = static_cast<int>(std::count_if(problem.T.begin(), problem.T.end(), [&](double t) {
      return t >= spec.T_window_lo_K && t <= spec.T_window_hi_K;
    }));
    if (inside < options.min_points_in_window) {
      fit.skipped.push_back(fmt::format("{}: {} points in its window [{}, {}] K, need {}", spec.name, inside,
                                        spec.T_window_lo_K, spec.T_window_hi_K, options.min_points_in_window));
      continue;
    }
    const double c = std::cos(std::numbers::pi * spec.shape_b / 2);
    problem.cos_term.push_back(c);
    starts.push_back(starting_peak(problem, smooth, baseline, spec, c));
    used.push_back(&spec);
  }
  problem.peaks = static_cast<int>(used.size());
  Eigen::VectorXd p = Eigen::VectorXd::Zero(kPeakParameters * problem.peaks + problem.background_terms);
  for (int j = 0; j < problem.peaks; ++j) {
    p[3 * j] = std::log(starts[j].height);
    p[3 * j + 1] = starts[j].Tp;
    p[3 * j + 2] = std::log(starts[j].width);
    PeakFit peak;
    peak.name = used[j]->name;
    peak.shape_b = used[j]->shape_b;
    peak.Tp_initial_K = starts[j].Tp;
    fit.peaks.push_back(std::move(peak));
  }
  p[kPeakParameters * problem.peaks] = baseline;
  return p;
}

void fail_all(FrequencyFit& fit, FitStatus status, std::string reason) {
  fit.status = status;
  fit.reason = std::move(reason);
  for (PeakFit& peak : fit.peaks) {
    peak.status = status;
    peak.reason = "the frequency's fit failed: " + fit.reason;
  }
}

/// Fills the peak values and standard errors from the optimum; flags peaks outside their window.
void report_peaks(const Problem& problem, const Eigen::VectorXd& p, const Eigen::VectorXd& stderr_p,
                  const std::vector<const RelaxationSpec*>& used, FrequencyFit& fit) {
  for (int j = 0; j < problem.peaks; ++j) {
    PeakFit& peak = fit.peaks[j];
    const RelaxationSpec& spec = *used[j];
    const double H = std::exp(p[3 * j]), Tp = p[3 * j + 1], w = std::exp(p[3 * j + 2]);
    const double Tp_err = stderr_p[3 * j + 1];
    if (Tp < spec.T_window_lo_K || Tp > spec.T_window_hi_K || Tp < problem.T[0] || Tp > problem.T[problem.T.size() - 1]) {
      peak.status = FitStatus::out_of_window;
      peak.reason = fmt::format("Tp = {:.1f} K left the window [{}, {}] K or the data [{:.1f}, {:.1f}] K", Tp,
                                spec.T_window_lo_K, spec.T_window_hi_K, problem.T[0], problem.T[problem.T.size() - 1]);
      continue;
    }
    if (!std::isfinite(Tp_err) || Tp_err > 0.5 * (spec.T_window_hi_K - spec.T_window_lo_K)) {
      peak.status = FitStatus::ill_conditioned;
      peak.reason = fmt::format("Tp standard error {:.3g} K exceeds half the window: peak not determined", Tp_err);
      continue;
    }
    const double H_err = H * stderr_p[3 * j];
    if (!(H_err < 0.5 * H)) {
      peak.status = FitStatus::ill_conditioned;
      peak.reason = fmt::format("peak height {:.3g} +- {:.3g} is not significant (2 sigma): no peak to locate", H, H_err);
      continue;
    }
    peak.Tp_K = Tp;
    peak.Tp_stderr_K = Tp_err;
    peak.height = H;
    peak.height_stderr = H * stderr_p[3 * j];
    peak.width_K = w;
    peak.width_stderr_K = w * stderr_p[3 * j + 2];
    peak.amplitude_A = 2 * H / std::tan(std::numbers::pi * peak.shape_b / 4);
  }
}

}  // namespace

FrequencyFit fit_loss_peaks(std::span<const double> T_K, std::span<const double> y, double frequency_Hz,
                            const std::vector<RelaxationSpec>& relaxations, const PeakFitOptions& options) {
  FrequencyFit fit;
  fit.frequency_Hz = frequency_Hz;
  fit.points = static_cast<int>(T_K.size());
  if (T_K.size() != y.size() || options.background_degree < 0 || options.background_degree > 3) {
    fail_all(fit, FitStatus::invalid_input, "T and y differ in length or background degree outside 0..3");
    return fit;
  }
  for (std::size_t i = 0; i < T_K.size(); ++i) {
    if (!std::isfinite(T_K[i]) || !std::isfinite(y[i]) || T_K[i] <= 0) {
      fail_all(fit, FitStatus::invalid_input, fmt::format("point {} is not finite or T <= 0 (T = {}, y = {})", i, T_K[i], y[i]));
      return fit;
    }
  }
  Problem problem;
  std::vector<const RelaxationSpec*> used;
  if (T_K.size() < 3) {
    fail_all(fit, FitStatus::insufficient_data, fmt::format("{} points", T_K.size()));
    return fit;
  }
  Eigen::VectorXd p = prepare(T_K, y, relaxations, options, problem, fit, used);
  const int n = static_cast<int>(p.size());
  const int m = static_cast<int>(problem.T.size());
  if (problem.peaks == 0 || m <= n) {
    fail_all(fit, FitStatus::insufficient_data,
             fmt::format("{} points for {} parameters ({} peaks with data in their window)", m, n, problem.peaks));
    return fit;
  }

  ResidualFunctor functor{problem, m, n};
  Eigen::LevenbergMarquardt<ResidualFunctor> solver(functor);
  solver.parameters.maxfev = options.max_function_evaluations;
  solver.parameters.xtol = 1e-10;
  solver.parameters.ftol = 1e-12;
  const auto status = solver.minimize(p);
  fit.solver_status = solver_status_text(status);
  fit.function_evaluations = static_cast<int>(solver.nfev);
  fit.optimum.assign(p.data(), p.data() + n);
  using namespace Eigen::LevenbergMarquardtSpace;
  if (status == TooManyFunctionEvaluation || status == UserAsked || status == ImproperInputParameters) {
    fail_all(fit, status == ImproperInputParameters ? FitStatus::invalid_input : FitStatus::not_converged,
             fmt::format("Levenberg-Marquardt stopped: {} after {} evaluations", fit.solver_status, solver.nfev));
    return fit;
  }

  Eigen::VectorXd residual(m);
  Eigen::MatrixXd J;
  if (functor(p, residual) < 0 || functor.df(p, J) < 0) {
    fail_all(fit, FitStatus::not_converged, "model or Jacobian not finite at the optimum");
    return fit;
  }
  const double rss = residual.squaredNorm();
  fit.residual_rms = std::sqrt(rss / m);
  Eigen::VectorXd column_norms;
  const auto [condition, weakest] = scaled_condition(J, column_norms);
  fit.condition_number = condition;
  if (!(condition <= options.max_condition_number)) {
    fail_all(fit, FitStatus::ill_conditioned,
             fmt::format("condition number {:.3g} of the column-scaled Jacobian exceeds {:.3g}; weakest direction "
                         "dominated by {}", condition, options.max_condition_number, parameter_name(fit.peaks, weakest)));
    return fit;
  }
  // cov = s^2 (J^T J)^-1, computed on the column-scaled Jacobian for accuracy.
  Eigen::MatrixXd scaled = J * column_norms.cwiseInverse().asDiagonal();
  const Eigen::MatrixXd scaled_inverse = (scaled.transpose() * scaled).ldlt().solve(Eigen::MatrixXd::Identity(n, n));
  const double s2 = rss / (m - n);
  Eigen::VectorXd stderr_p(n);
  for (int k = 0; k < n; ++k) stderr_p[k] = std::sqrt(s2 * scaled_inverse(k, k)) / column_norms[k];
  fit.background.assign(p.data() + kPeakParameters * problem.peaks, p.data() + n);
  report_peaks(problem, p, stderr_p, used, fit);
  return fit;
}

double evaluate_background(const FrequencyFit& fit, double T_K) {
  const double u = (T_K - fit.T_centre_K) / fit.T_scale_K;
  double value = 0, power = 1;
  for (const double c : fit.background) {
    value += c * power;
    power *= u;
  }
  return value;
}

double evaluate_fit(const FrequencyFit& fit, double T_K) {
  if (fit.status != FitStatus::ok) return std::numeric_limits<double>::quiet_NaN();
  double value = evaluate_background(fit, T_K);
  for (std::size_t j = 0; j < fit.peaks.size(); ++j) {
    value += cole_cole_peak(T_K, std::exp(fit.optimum[3 * j]), fit.optimum[3 * j + 1], std::exp(fit.optimum[3 * j + 2]),
                            fit.peaks[j].shape_b);
  }
  return value;
}

}  // namespace glasslab::analysis
