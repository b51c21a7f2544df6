#pragma once
// Equivalent configurational heat flow from Seq(T) (paper Eq. 3), the liquid alignment of Fig. 2,
// and the slope-change / peak finder (docs/analysis.md, "Heat flow" and "Features").
//
//   delta_c_eq,p = T dSeq/dT;   delta_phi_eq = delta_c_eq,p * beta_h          (Eq. 3)
// with Seq in J/(mol K), T in K and the heating rate beta_h in K/s: W/mol; divided by the molar
// mass (g/mol) for W/g.
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "analysis/fit_status.hpp"
#include "analysis/smoothing.hpp"

namespace glasslab::analysis {

/// Molar mass of the paper's alloy Cu44Zr44Al8Hf2Co2 (reference/seq-analysis.md).
inline constexpr double kCuZrAlHfCoMolarMass_g_per_mol = 75.006;

struct HeatFlow {
  std::vector<double> T_K;
  std::vector<double> seq_smooth_J_per_mol_K;
  std::vector<double> dseq_dT_J_per_mol_K2;
  std::vector<double> delta_c_J_per_mol_K;
  std::vector<double> delta_phi_W_per_mol;
  std::vector<double> delta_phi_W_per_g;  ///< empty without a molar mass
  double heating_rate_K_per_s = 0;
  std::optional<double> molar_mass_g_per_mol;
  std::string smoothing;                  ///< SmoothedSeries::describe() of the input
};

/// Eq. 3 applied to a smoothed Seq(T) series whose values are in J/(mol K).
HeatFlow heat_flow_from_smoothed(const SmoothedSeries& seq_J_per_mol_K, double heating_rate_K_per_s,
                                 std::optional<double> molar_mass_g_per_mol);

struct LiquidAlignment {
  FitStatus status = FitStatus::ok;
  std::string reason;
  std::optional<double> offset;  ///< add to the series to overlap the reference (same unit as Seq)
  int overlap_points = 0;
  double T_from_K = 0, T_to_K = 0;
  double rms_after = 0;          ///< rms of (series + offset - reference) in the window
};

/// The additive constant c minimising sum (S(T_i) + c - S_ref(T_i))^2 over the series' points in
/// [T_from_K, T_to_K] (the liquid: above Tg, below crystallization) that lie inside the reference's
/// range; S_ref is interpolated linearly. Needs >= 3 points.
LiquidAlignment liquid_alignment_offset(std::span<const double> T_K, std::span<const double> seq,
                                        std::span<const double> T_ref_K, std::span<const double> seq_ref,
                                        double T_from_K, double T_to_K);

/// A named region in T/Tg where a feature gets a label (gamma, beta, excess wing).
struct FeatureWindow {
  std::string name;
  double T_over_Tg_lo = 0, T_over_Tg_hi = 0;
};

/// Windows from the paper's DMA peak positions at low frequency scaled by Tg = 709 K:
/// gamma 0.25-0.52, beta 0.55-0.82, excess wing 0.82-1.0 (between the beta peak and Tg).
std::vector<FeatureWindow> default_feature_windows();

struct FeatureOptions {
  std::optional<double> Tg_hint_K;          ///< Tg search (transitions.hpp) and labels when no Tg is found
  double min_significance = 3.0;            ///< a feature's size over its standard error
  int edge_points = 2;                      ///< ignored at each end (the smoother's edge)
  std::vector<FeatureWindow> windows = default_feature_windows();
};

enum class FeatureKind {
  heat_flow_peak,        ///< local maximum of delta_phi
  heat_flow_dip,         ///< local minimum of delta_phi: Seq relaxing (exothermic in the paper's sense)
  slope_increase,        ///< curvature maximum of Seq
  slope_decrease,        ///< curvature minimum
  glass_transition,
  crystallization_onset,
};
std::string_view to_string(FeatureKind kind);

struct Feature {
  FeatureKind kind = FeatureKind::heat_flow_peak;
  std::string label;           ///< window name, "Tg", "crystallization", or "" when outside every window
  double T_K = 0;
  std::optional<double> T_over_Tg;
  double value = 0;            ///< heat flow [W/mol] for peaks/dips, curvature [J/(mol K^3)] for kinks
  double prominence = 0;       ///< same unit as value
  double significance = 0;     ///< prominence / its standard error (noise only)
  std::string criterion;
};

struct FeatureReport {
  std::vector<Feature> features;
  std::optional<double> Tg_K;
  std::optional<double> crystallization_onset_K;
  std::string smoothing;
  std::string criteria;  ///< the rules used, for the report
};

/// Slope changes (curvature extrema) and heat-flow peaks and dips of a smoothed series whose
/// derivative errors are known, each kept when its size is >= min_significance standard errors:
/// for a curvature extremum |curvature| / stderr; for a peak (dip) its topographic prominence over
/// the higher (lower) of its two bases / sqrt(stderr_peak^2 + stderr_base^2) (conservative: the
/// two are positively correlated). Labels from T / Tg_for_labels_K (or the hint).
std::vector<Feature> find_slope_features(const HeatFlow& heat_flow, const DerivativeErrors& errors,
                                         std::optional<double> Tg_for_labels_K, const FeatureOptions& options);

/// The rules of find_slope_features, for reports.
std::string slope_feature_criteria(const FeatureOptions& options);

/// The window label of a temperature ratio ("" outside every window).
std::string feature_window_label(const std::vector<FeatureWindow>& windows, std::optional<double> T_over_Tg);

}  // namespace glasslab::analysis
