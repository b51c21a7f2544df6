// Eq. 3, liquid alignment and the feature finder (see heat_flow.hpp for the conventions).
#include "analysis/heat_flow.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

namespace glasslab::analysis {
namespace {

/// Topographic prominence of the local maximum at i: height above the higher of the two lowest
/// points separating it from a higher point (or the ends of the range). Returns (prominence, base index).
std::pair<double, std::size_t> prominence_at(const std::vector<double>& y, std::size_t i) {
  std::size_t left_min = i, right_min = i;
  for (std::size_t j = i; j-- > 0;) {
    if (y[j] > y[i]) break;
    if (y[j] < y[left_min]) left_min = j;
  }
  for (std::size_t j = i + 1; j < y.size(); ++j) {
    if (y[j] > y[i]) break;
    if (y[j] < y[right_min]) right_min = j;
  }
  const std::size_t base = y[left_min] > y[right_min] ? left_min : right_min;
  return {y[i] - y[base], base};
}

bool is_local_maximum(const std::vector<double>& y, std::size_t i) { return y[i] > y[i - 1] && y[i] >= y[i + 1]; }

}  // namespace

std::string_view to_string(FeatureKind kind) {
  switch (kind) {
    case FeatureKind::heat_flow_peak: return "heat_flow_peak";
    case FeatureKind::heat_flow_dip: return "heat_flow_dip";
    case FeatureKind::slope_increase: return "slope_increase";
    case FeatureKind::slope_decrease: return "slope_decrease";
    case FeatureKind::glass_transition: return "glass_transition";
    case FeatureKind::crystallization_onset: return "crystallization_onset";
  }
  return "unknown";
}

std::vector<FeatureWindow> default_feature_windows() {
  return {{"gamma", 0.25, 0.52}, {"beta", 0.55, 0.82}, {"excess_wing", 0.82, 1.0}};
}

HeatFlow heat_flow_from_smoothed(const SmoothedSeries& seq, double heating_rate_K_per_s,
                                 std::optional<double> molar_mass_g_per_mol) {
  if (!(heating_rate_K_per_s > 0)) {
    throw std::invalid_argument(fmt::format("heating rate {} K/s must be positive", heating_rate_K_per_s));
  }
  if (molar_mass_g_per_mol && !(*molar_mass_g_per_mol > 0)) {
    throw std::invalid_argument(fmt::format("molar mass {} g/mol must be positive", *molar_mass_g_per_mol));
  }
  HeatFlow out;
  out.T_K = seq.x;
  out.seq_smooth_J_per_mol_K = seq.y_smooth;
  out.dseq_dT_J_per_mol_K2 = seq.dy_dx;
  out.heating_rate_K_per_s = heating_rate_K_per_s;
  out.molar_mass_g_per_mol = molar_mass_g_per_mol;
  out.smoothing = seq.describe();
  const std::size_t n = seq.x.size();
  out.delta_c_J_per_mol_K.resize(n);
  out.delta_phi_W_per_mol.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    out.delta_c_J_per_mol_K[i] = seq.x[i] * seq.dy_dx[i];
    out.delta_phi_W_per_mol[i] = out.delta_c_J_per_mol_K[i] * heating_rate_K_per_s;
  }
  if (molar_mass_g_per_mol) {
    out.delta_phi_W_per_g.resize(n);
    for (std::size_t i = 0; i < n; ++i) out.delta_phi_W_per_g[i] = out.delta_phi_W_per_mol[i] / *molar_mass_g_per_mol;
  }
  return out;
}

LiquidAlignment liquid_alignment_offset(std::span<const double> T_K, std::span<const double> seq,
                                        std::span<const double> T_ref_K, std::span<const double> seq_ref,
                                        double T_from_K, double T_to_K) {
  LiquidAlignment out;
  out.T_from_K = T_from_K;
  out.T_to_K = T_to_K;
  if (T_K.size() != seq.size() || T_ref_K.size() != seq_ref.size() || T_ref_K.size() < 2) {
    out.status = FitStatus::invalid_input;
    out.reason = "series and reference need matching T and Seq arrays (reference >= 2 points)";
    return out;
  }
  const double ref_lo = T_ref_K.front(), ref_hi = T_ref_K.back();
  double sum = 0;
  std::vector<std::pair<double, double>> pairs;  // (series, reference) in the window
  for (std::size_t i = 0; i < T_K.size(); ++i) {
    if (T_K[i] < T_from_K || T_K[i] > T_to_K || T_K[i] < ref_lo || T_K[i] > ref_hi) continue;
    const double reference = interpolate_linear(T_ref_K, seq_ref, T_K[i]);
    pairs.emplace_back(seq[i], reference);
    sum += reference - seq[i];
  }
  out.overlap_points = static_cast<int>(pairs.size());
  if (pairs.size() < 3) {
    out.status = FitStatus::insufficient_data;
    out.reason = fmt::format("{} points of the series overlap the reference in [{}, {}] K, need 3",
                             pairs.size(), T_from_K, T_to_K);
    return out;
  }
  const double offset = sum / pairs.size();
  double sq = 0;
  for (const auto& [s, r] : pairs) sq += (s + offset - r) * (s + offset - r);
  out.offset = offset;
  out.rms_after = std::sqrt(sq / pairs.size());
  return out;
}

std::string feature_window_label(const std::vector<FeatureWindow>& windows, std::optional<double> T_over_Tg) {
  if (!T_over_Tg) return "";
  for (const auto& w : windows) {
    if (*T_over_Tg >= w.T_over_Tg_lo && *T_over_Tg < w.T_over_Tg_hi) return w.name;
  }
  return "";
}

std::string slope_feature_criteria(const FeatureOptions& options) {
  return fmt::format(
      "on the Seq(T) of the glass and liquid (below crystallization), smoothed with its own GCV lambda: slope "
      "changes = local extrema of the curvature d(dSeq/dT)/dT with |curvature| >= {0} standard errors; heat-flow "
      "peaks (dips) = local maxima (minima) of delta_phi whose prominence over the higher (lower) of their bases "
      "is >= {0} standard errors of the difference; standard errors from the residual variance through the linear "
      "smoother (noise only); {1} points at each end ignored",
      options.min_significance, options.edge_points);
}

std::vector<Feature> find_slope_features(const HeatFlow& hf, const DerivativeErrors& errors,
                                         std::optional<double> Tg_for_labels_K, const FeatureOptions& options) {
  std::vector<Feature> features;
  const std::vector<double>& T = hf.T_K;
  const std::size_t n = T.size();
  const auto edge = static_cast<std::size_t>(std::max(1, options.edge_points));
  if (n < 2 * edge + 3 || errors.slope_stderr.size() != n || errors.curvature_stderr.size() != n) return features;
  const double Tg = Tg_for_labels_K.value_or(options.Tg_hint_K.value_or(0.0));
  auto add = [&](FeatureKind kind, std::size_t i, double value, double prominence, double stderr, const char* criterion) {
    Feature f;
    f.kind = kind;
    f.T_K = T[i];
    if (Tg > 0) f.T_over_Tg = T[i] / Tg;
    f.label = feature_window_label(options.windows, f.T_over_Tg);
    f.value = value;
    f.prominence = prominence;
    f.significance = stderr > 0 ? prominence / stderr : std::numeric_limits<double>::infinity();
    f.criterion = criterion;
    if (f.significance >= options.min_significance) features.push_back(std::move(f));
  };
  const std::vector<double> curvature = nonuniform_derivative(T, hf.dseq_dT_J_per_mol_K2);
  for (std::size_t i = edge; i + edge < n; ++i) {
    const bool is_max = curvature[i] > 0 && curvature[i] > curvature[i - 1] && curvature[i] >= curvature[i + 1];
    const bool is_min = curvature[i] < 0 && curvature[i] < curvature[i - 1] && curvature[i] <= curvature[i + 1];
    if (is_max || is_min) {
      add(is_max ? FeatureKind::slope_increase : FeatureKind::slope_decrease, i, curvature[i], std::abs(curvature[i]),
          errors.curvature_stderr[i], "curvature extremum");
    }
  }
  // delta_phi = T beta dSeq/dT: its standard error is T beta stderr(dSeq/dT).
  std::vector<double> phi_stderr(n);
  for (std::size_t i = 0; i < n; ++i) phi_stderr[i] = T[i] * hf.heating_rate_K_per_s * errors.slope_stderr[i];
  for (const double sign : {1.0, -1.0}) {
    std::vector<double> y(hf.delta_phi_W_per_mol.begin(), hf.delta_phi_W_per_mol.end());
    for (double& v : y) v *= sign;
    for (std::size_t i = edge; i + edge < n; ++i) {
      if (!is_local_maximum(y, i)) continue;
      const auto [prominence, base] = prominence_at(y, i);
      add(sign > 0 ? FeatureKind::heat_flow_peak : FeatureKind::heat_flow_dip, i, hf.delta_phi_W_per_mol[i], prominence,
          std::hypot(phi_stderr[i], phi_stderr[base]), sign > 0 ? "heat-flow maximum" : "heat-flow minimum");
    }
  }
  std::sort(features.begin(), features.end(), [](const Feature& a, const Feature& b) { return a.T_K < b.T_K; });
  return features;
}

}  // namespace glasslab::analysis
