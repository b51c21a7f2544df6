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

// Guards that keep a wild Levenberg-Marquardt trial step from producing inf/NaN (which stops
// MINPACK after a few evaluations): ln H and ln w are clamped before exponentiation, Tp is kept
// positive, and |s| beyond kMaxWingArgument (where the peak is < e^-300 of its height) counts as 0.
constexpr double kMaxLogParameter = 200.0;
constexpr double kMinPeakTemperature_K = 1.0;
constexpr double kMaxWingArgument = 300.0;
double safe_exp(double log_value) { return std::exp(std::clamp(log_value, -kMaxLogParameter, kMaxLogParameter)); }
double safe_Tp(double Tp_K) { return std::max(Tp_K, kMinPeakTemperature_K); }

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
        const double H = safe_exp(p[3 * j]), Tp = safe_Tp(p[3 * j + 1]), w = safe_exp(p[3 * j + 2]);
        const double c = problem.cos_term[j];
        const double s = w * (1.0 / T - 1.0 / Tp);
        double L = 0, dL_ds = 0;  // far out in the wings (|s| large) both vanish; cosh would overflow
        if (std::abs(s) < kMaxWingArgument) {
          const double denominator = 2 * std::cosh(s) + 2 * c;
          L = H * (2 + 2 * c) / denominator;
          dL_ds = -L * 2 * std::sinh(s) / denominator;
        }
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
      const double s = safe_exp(p[3 * j + 2]) * (1.0 / T - 1.0 / safe_Tp(p[3 * j + 1]));
      if (std::abs(s) < kMaxWingArgument) value += safe_exp(p[3 * j]) * (2 + 2 * c) / (2 * std::cosh(s) + 2 * c);
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

/// All relaxations with data in their windows at once, on one polynomial background.
FrequencyFit fit_jointly(std::span<const double> T_K, std::span<const double> y, double frequency_Hz,
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

/// A local maximum of the smoothed data that a relaxation claims, and the span fitted around it.
struct WindowAnchor {
  std::size_t peak_slot = 0;  ///< index into FrequencyFit::peaks
  int maximum = 0;            ///< index into the sorted data
  bool refit = false;         ///< false: already located by the joint fit, only bounds others
};

std::optional<int> local_maximum(const std::vector<double>& T, const std::vector<double>& smooth, double lo_K,
                                 double hi_K, int min_points) {
  int first = -1, last = -1;
  for (int i = 0; i < static_cast<int>(T.size()); ++i) {
    if (T[i] < lo_K || T[i] > hi_K) continue;
    if (first < 0) first = i;
    last = i;
  }
  if (first < 0 || last - first + 1 < min_points) return std::nullopt;
  int best = first;
  for (int i = first; i <= last; ++i) if (smooth[i] > smooth[best]) best = i;
  if (best <= first + 1 || best >= last - 1) return std::nullopt;  // a rising edge, not a peak
  return best;
}

int index_of_minimum(const std::vector<double>& smooth, int from, int to) {
  int best = from;
  for (int i = from; i <= to; ++i) if (smooth[i] < smooth[best]) best = i;
  return best;
}

/// Fallback when the joint fit did not locate every relaxation. A joint model that leaves one
/// relaxation unlocated does not describe the data (typically the alpha rise is not a Cole-Cole
/// peak and its misfit swamps gamma), so its other peak temperatures are biased too: every
/// relaxation with a local maximum in its window is refitted, each alone between the
/// minima (valleys) that separate its maximum from its neighbours' maxima, on a local low-order
/// background. A large neighbour (the alpha rise next to beta, beta's tail under gamma) is then
/// only a slowly varying background over the window instead of a misfit that spoils every peak.
/// Two relaxations claiming the same maximum stay unlocated: one peak never yields two.
void fit_windows_separately(std::span<const double> T_K, std::span<const double> y,
                            const std::vector<RelaxationSpec>& relaxations, const PeakFitOptions& options,
                            FrequencyFit& fit) {
  std::vector<std::size_t> order(T_K.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return T_K[a] < T_K[b]; });
  const int n = static_cast<int>(order.size());
  std::vector<double> T(n), values(n);
  Eigen::VectorXd y_sorted(n);
  for (int i = 0; i < n; ++i) {
    T[i] = T_K[order[i]];
    values[i] = y_sorted[i] = y[order[i]];
  }
  const std::vector<double> smooth = moving_average(y_sorted);
  std::vector<WindowAnchor> anchors;
  for (std::size_t k = 0; k < fit.peaks.size(); ++k) {
    PeakFit& peak = fit.peaks[k];
    const auto spec = std::find_if(relaxations.begin(), relaxations.end(), [&](const auto& r) { return r.name == peak.name; });
    const auto maximum = local_maximum(T, smooth, spec->T_window_lo_K, spec->T_window_hi_K, options.min_points_in_window);
    if (maximum) {
      anchors.push_back({k, *maximum, true});
    } else if (peak.status == FitStatus::ok) {  // keep the joint value; its Tp still bounds the neighbours
      const auto nearest = std::lower_bound(T.begin(), T.end(), *peak.Tp_K);
      anchors.push_back({k, static_cast<int>(std::min<std::ptrdiff_t>(nearest - T.begin(), n - 1)), false});
    } else {
      peak.reason += "; window fallback: no local maximum inside its window";
    }
  }
  std::sort(anchors.begin(), anchors.end(), [](const auto& a, const auto& b) { return a.maximum < b.maximum; });
  constexpr int kSameMaximumPoints = 2;
  for (std::size_t a = 0; a < anchors.size(); ++a) {
    if (!anchors[a].refit) continue;
    PeakFit& peak = fit.peaks[anchors[a].peak_slot];
    const bool shares_before = a > 0 && anchors[a].maximum - anchors[a - 1].maximum <= kSameMaximumPoints;
    const bool shares_after = a + 1 < anchors.size() && anchors[a + 1].maximum - anchors[a].maximum <= kSameMaximumPoints;
    if (shares_before || shares_after) {
      peak.reason += fmt::format("; window fallback: the maximum at {:.1f} K is claimed by another relaxation too",
                                 T[anchors[a].maximum]);
      continue;
    }
    // The span: from the lowest point between this maximum and the neighbouring maximum (or the
    // data's end) on each side. Against the end too: a neighbour without a maximum in the data
    // (alpha still rising at the last point) must not become part of this peak.
    const int left = index_of_minimum(smooth, a > 0 ? anchors[a - 1].maximum : 0, anchors[a].maximum);
    const int right = index_of_minimum(smooth, anchors[a].maximum, a + 1 < anchors.size() ? anchors[a + 1].maximum : n - 1);
    const auto spec = std::find_if(relaxations.begin(), relaxations.end(), [&](const auto& r) { return r.name == peak.name; });
    RelaxationSpec local = *spec;
    local.T_window_lo_K = T[left];
    local.T_window_hi_K = T[right];
    PeakFitOptions local_options = options;
    local_options.background_degree = options.window_background_degree;
    const std::span<const double> T_window(T.data() + left, right - left + 1);
    const std::span<const double> y_window(values.data() + left, right - left + 1);
    const FrequencyFit alone = fit_jointly(T_window, y_window, fit.frequency_Hz, {local}, local_options);
    const std::string joint_reason =
        peak.status == FitStatus::ok
            ? fmt::format("Tp {:.1f} K, rejected because another relaxation at this frequency was not located", *peak.Tp_K)
            : peak.reason;
    const bool in_own_window = alone.peaks.size() == 1 && alone.peaks[0].Tp_K &&
                               *alone.peaks[0].Tp_K >= spec->T_window_lo_K && *alone.peaks[0].Tp_K <= spec->T_window_hi_K;
    if (alone.peaks.size() == 1 && alone.peaks[0].status == FitStatus::ok && !in_own_window) {
      peak.status = FitStatus::out_of_window;
      for (auto* value : {&peak.Tp_K, &peak.Tp_stderr_K, &peak.height, &peak.height_stderr, &peak.width_K,
                          &peak.width_stderr_K, &peak.amplitude_A})
        value->reset();
      peak.reason += fmt::format("; window fallback on [{:.1f}, {:.1f}] K put Tp at {:.1f} K, outside {}'s window [{:.0f}, {:.0f}] K",
                                 T[left], T[right], *alone.peaks[0].Tp_K, peak.name, spec->T_window_lo_K, spec->T_window_hi_K);
    } else if (alone.peaks.size() == 1 && alone.peaks[0].status == FitStatus::ok) {
      peak = alone.peaks[0];
      peak.reason = fmt::format("fitted alone on [{:.1f}, {:.1f}] K with a degree-{} background (joint fit: {})",
                                T[left], T[right], options.window_background_degree, joint_reason);
      peak.span_lo_K = T[left];
      peak.span_hi_K = T[right];
      peak.local_background = alone.background;
      peak.local_T_centre_K = alone.T_centre_K;
      peak.local_T_scale_K = alone.T_scale_K;
    } else {
      peak.reason += fmt::format("; window fallback on [{:.1f}, {:.1f}] K: {}", T[left], T[right],
                                 alone.peaks.empty() ? alone.reason : alone.peaks[0].reason);
    }
  }
}

}  // namespace

FrequencyFit fit_loss_peaks(std::span<const double> T_K, std::span<const double> y, double frequency_Hz,
                            const std::vector<RelaxationSpec>& relaxations, const PeakFitOptions& options) {
  FrequencyFit fit = fit_jointly(T_K, y, frequency_Hz, relaxations, options);
  const bool any_unlocated = std::any_of(fit.peaks.begin(), fit.peaks.end(), [](const PeakFit& p) { return p.status != FitStatus::ok; });
  if (options.fit_windows_when_joint_fails && any_unlocated && fit.status != FitStatus::invalid_input) {
    fit_windows_separately(T_K, y, relaxations, options, fit);
  }
  return fit;
}

namespace {

double polynomial(const std::vector<double>& coefficients, double u) {
  double value = 0, power = 1;
  for (const double c : coefficients) {
    value += c * power;
    power *= u;
  }
  return value;
}

}  // namespace

double evaluate_background(const FrequencyFit& fit, double T_K) {
  return polynomial(fit.background, (T_K - fit.T_centre_K) / fit.T_scale_K);
}

FittedModelValue fitted_model_at(const FrequencyFit& fit, double T_K) {
  FittedModelValue out;
  if (fit.status == FitStatus::ok) {
    out.model = evaluate_fit(fit, T_K);
    out.background = evaluate_background(fit, T_K);
    out.part = -1;
    return out;
  }
  for (std::size_t k = 0; k < fit.peaks.size(); ++k) {
    const PeakFit& peak = fit.peaks[k];
    if (peak.status != FitStatus::ok || !peak.span_lo_K || T_K < *peak.span_lo_K || T_K > *peak.span_hi_K) continue;
    out.background = polynomial(peak.local_background, (T_K - peak.local_T_centre_K) / peak.local_T_scale_K);
    out.model = out.background + cole_cole_peak(T_K, *peak.height, *peak.Tp_K, *peak.width_K, peak.shape_b);
    out.part = static_cast<int>(k);
    break;
  }
  return out;
}

double evaluate_fitted_model(const FrequencyFit& fit, double T_K, bool background_only) {
  const FittedModelValue value = fitted_model_at(fit, T_K);
  return background_only ? value.background : value.model;
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
