#pragma once
// Loss peaks of tan delta(T) (or of the loss modulus) at one frequency, fitted as a sum of
// temperature-domain Cole-Cole peaks on a low-order polynomial background
// (reference/rheometer-dma.md, "Loss-peak fitting and activation energies").
//
//   L(x) = A x^b sin(pi b/2) / (1 + 2 x^b cos(pi b/2) + x^(2b)),  x(T) = exp[(E/k)(1/T - 1/Tp)]
// With s = b (E/k) (1/T - 1/Tp) = w (1/T - 1/Tp) this is
//   L = A sin(pi b/2) / (2 cosh s + 2 cos(pi b/2)) = H (2 + 2c) / (2 cosh s + 2c),  c = cos(pi b/2),
// H = L(Tp) the peak height. At one frequency b and E are degenerate: only the width w = b E/k [K]
// in 1/T is identifiable, so b is a fixed shape parameter per relaxation and the fit parameters per
// peak are (ln H, Tp, ln w). E comes from the Arrhenius plot across frequencies (arrhenius.hpp).
// Solver: Eigen's MINPACK Levenberg-Marquardt (unsupported/Eigen/NonLinearOptimization) with an
// analytic Jacobian; standard errors from s^2 (J^T J)^-1 at the optimum.
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "analysis/fit_status.hpp"

namespace glasslab::analysis {

/// One relaxation to look for: where its peak can be (over all frequencies) and its shape.
struct RelaxationSpec {
  std::string name;
  double T_window_lo_K = 0;
  double T_window_hi_K = 0;
  double shape_b = 0.5;              ///< Cole-Cole b, fixed in the fit (0 < b <= 1)
  double expected_energy_eV = 1.0;   ///< only for the starting width when no half maximum is found
};

/// gamma, beta, alpha with the windows implied by the paper's energies over 0.05-60 Hz
/// (gamma ~200-355 K, beta ~450-572 K, alpha ~700-742 K), widened by margins.
std::vector<RelaxationSpec> paper_relaxations();

struct PeakFit {
  std::string name;
  FitStatus status = FitStatus::ok;
  std::string reason;
  double shape_b = 0.5;
  double Tp_initial_K = 0;
  std::optional<double> Tp_K, Tp_stderr_K;
  std::optional<double> height, height_stderr;      ///< peak height H in the observable's unit
  std::optional<double> width_K, width_stderr_K;    ///< w = b E/k
  std::optional<double> amplitude_A;                ///< A of the reference formula, 2H/tan(pi b/4)
  /// Set when the peak was fitted alone (window fallback): the span it was fitted on and its local
  /// background (sum c_k u^k, u = (T - centre)/scale), so the curve can be drawn and checked.
  std::optional<double> span_lo_K, span_hi_K;
  std::vector<double> local_background;
  double local_T_centre_K = 0, local_T_scale_K = 1;
};

struct PeakFitOptions {
  int background_degree = 1;          ///< polynomial in T (0..3)
  int max_function_evaluations = 4000;
  double max_condition_number = 1e8;  ///< of the column-scaled Jacobian at the optimum
  int min_points_in_window = 8;       ///< a relaxation with fewer data points in its window is skipped
  /// When the joint fit leaves a relaxation unlocated, fit that relaxation alone between the
  /// valleys around its local maximum (see fit_loss_peaks).
  bool fit_windows_when_joint_fails = true;
  int window_background_degree = 1;   ///< local background of those single-peak fits (0..3)
};

struct FrequencyFit {
  double frequency_Hz = 0;
  FitStatus status = FitStatus::ok;
  std::string reason;
  std::vector<PeakFit> peaks;
  std::vector<std::string> skipped;      ///< relaxations without data in their window, with reason
  std::vector<double> background;        ///< coefficients of sum c_k u^k, u = (T - T_centre)/T_scale
  double T_centre_K = 0, T_scale_K = 1;
  double residual_rms = 0;
  double condition_number = 0;
  int points = 0;
  int function_evaluations = 0;
  std::string solver_status;             ///< Eigen's LevenbergMarquardtSpace::Status as text
  std::vector<double> optimum;           ///< raw solution (ln H, Tp, ln w per peak; background) for drawing
};

/// One Cole-Cole peak in the height/width parametrisation.
double cole_cole_peak(double T_K, double height, double Tp_K, double width_K, double shape_b);
/// The reference's form with A, E and b (for generators and checks).
double cole_cole_reference(double T_K, double amplitude_A, double Tp_K, double energy_eV, double shape_b);

/// Fits all relaxations whose window holds data at once. T need not be sorted. Relaxations the
/// joint fit does not locate (solver stopped, ill-conditioned, insignificant height) are then
/// fitted one by one on the span between the minima that bound their own local maximum, with a
/// local background (PeakFitOptions::window_background_degree); such a peak says so in `reason`.
/// FrequencyFit::status, optimum and background always describe the joint fit.
FrequencyFit fit_loss_peaks(std::span<const double> T_K, std::span<const double> y, double frequency_Hz,
                            const std::vector<RelaxationSpec>& relaxations, const PeakFitOptions& options = {});

/// Model value of a fit (background + peaks with status ok or out_of_window); NaN if the fit failed.
double evaluate_fit(const FrequencyFit& fit, double T_K);
double evaluate_background(const FrequencyFit& fit, double T_K);

/// What was fitted at T: the joint model where the joint fit is ok; otherwise, inside the span of
/// a peak fitted alone, that peak on its local background; NaN elsewhere.
struct FittedModelValue {
  double model = std::numeric_limits<double>::quiet_NaN();
  double background = std::numeric_limits<double>::quiet_NaN();
  int part = -2;  ///< -1: the joint model; k >= 0: peak k fitted alone; -2: nothing fitted here
};
FittedModelValue fitted_model_at(const FrequencyFit& fit, double T_K);
/// fitted_model_at(...).model, or its background with `background_only`.
double evaluate_fitted_model(const FrequencyFit& fit, double T_K, bool background_only = false);

}  // namespace glasslab::analysis
