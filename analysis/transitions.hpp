#pragma once
// The two transitions of a Seq(T) heating series (docs/analysis.md, "Transitions"):
//
// Crystallization, located first on the series smoothed as a whole: a fall of Seq far larger than
// the noise and steeper than any rise before it (a first-order step, paper Fig. 2). Its onset is
// the calorimetrists' extrapolated onset: the tangent at the steepest point meets the level of the
// Seq maximum that precedes the fall. Everything from one slope-dip width (FWHM) before that
// maximum on belongs to the event; the glass and liquid lie below `liquid_end_K`.
//
// The glass transition, searched only below crystallization, by a least-squares fit to the Seq
// values themselves (not to a derivative, whose noise is larger): a glass line whose slope steps up
// by h over a width w around Tg (the step of the heat capacity, Delta c = T h) while the frozen-in
// excess relaxes by d (the paper's "structural aging to a lower entropy state before the glass
// transition"):
//   S(T) = a + b (T - T0) + h w softplus((T - Tg)/w) - d logistic((T - Tg)/w).
// a, b, h, d enter linearly; Tg and w are profiled on a grid (variable projection), so no local
// minimum can trap the fit. Tg's standard error is the half-width of its profile-likelihood
// interval (residual sum within one sigma^2 of the minimum).
#include <optional>
#include <span>
#include <string>

#include "analysis/fit_status.hpp"
#include "analysis/smoothing.hpp"

namespace glasslab::analysis {

struct CrystallizationOptions {
  double min_drop_over_noise = 10.0;  ///< the fall must exceed this many residual rms of the smoothing
};

struct Crystallization {
  double onset_K = 0;               ///< extrapolated onset (steepest tangent meets the preceding maximum)
  double steepest_K = 0;            ///< where Seq falls fastest
  double steepest_slope = 0;        ///< dSeq/dT there [Seq unit / K], negative
  double preceding_maximum_K = 0;   ///< the Seq maximum before the fall
  double fall_end_K = 0;            ///< the Seq minimum after it (or the last point)
  double drop = 0;                  ///< Seq(maximum) - Seq(minimum) [Seq unit]
  double slope_fwhm_K = 0;          ///< width of the slope dip at half its depth
  double liquid_end_K = 0;          ///< glass and liquid lie below: preceding maximum - FWHM
  double drop_over_noise = 0;
  std::string criterion;
};

/// nullopt when the series has no fall that qualifies (see the header comment).
std::optional<Crystallization> locate_crystallization(const SmoothedSeries& seq,
                                                      const CrystallizationOptions& options = {});

struct GlassTransitionOptions {
  std::optional<double> Tg_hint_K;        ///< centre searched in [0.9, 1.1] x hint, window from 0.8 x hint
  double centre_range_fraction = 0.10;    ///< +- this fraction of the reference Tg
  double window_below_fraction = 0.20;    ///< the fit window starts at (1 - this) x reference Tg
  double grid_step_K = 0.5;               ///< Tg grid resolution
  double min_step_significance = 3.0;     ///< h / stderr(h) required for a transition
  int min_points_each_side = 6;
};

struct GlassTransitionFit {
  FitStatus status = FitStatus::ok;
  std::string reason;
  std::optional<double> Tg_K;                 ///< only when status == ok
  std::optional<double> Tg_stderr_K;          ///< half-width of the 1-sigma profile interval
  double Tg_interval_lo_K = 0, Tg_interval_hi_K = 0;
  double width_K = 0;                         ///< w of the fitted step
  double slope_glass = 0, slope_liquid = 0;   ///< dSeq/dT below and above [Seq unit / K]
  double heat_capacity_step = 0;              ///< Tg x (slope_liquid - slope_glass) [Seq unit]
  double relaxation_drop = 0;                 ///< d [Seq unit]: Seq lost as the excess relaxes
  double step_significance = 0;               ///< h / stderr(h)
  double window_lo_K = 0, window_hi_K = 0;    ///< the fitted data
  double centre_lo_K = 0, centre_hi_K = 0;    ///< the Tg grid
  int points = 0;
  double residual_rms = 0;
  double level_a = 0, centre_x0_K = 0;        ///< a and T0 of the model (with the fields above: the curve)
  std::string method;
};

/// The fitted step model at T (NaN unless the fit is ok); for plotting it over its window.
double evaluate_glass_transition(const GlassTransitionFit& fit, double T_K);

/// Fits the step model to (T_K, seq) restricted to [window start, T_end_K] (T_end_K: the liquid's
/// end, below crystallization, or the series' end). Without a hint the reference Tg is
/// `reference_Tg_K` (e.g. the strongest slope increase); with neither, invalid_input.
GlassTransitionFit fit_glass_transition(std::span<const double> T_K, std::span<const double> seq,
                                        std::span<const double> weight, double T_end_K,
                                        std::optional<double> reference_Tg_K,
                                        const GlassTransitionOptions& options = {});

}  // namespace glasslab::analysis
