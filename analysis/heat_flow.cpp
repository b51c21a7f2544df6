// Eq. 3, liquid alignment and the feature finder (see heat_flow.hpp for the conventions).
#include "analysis/heat_flow.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace glasslab::analysis {
namespace {

/// Topographic prominence of the local maximum at i: height above the higher of the two lowest
/// points separating it from a higher point (or the ends of the range).
double prominence_at(const std::vector<double>& y, std::size_t i, std::size_t end) {
  double left_min = y[i], right_min = y[i];
  for (std::size_t j = i; j-- > 0;) {
    if (y[j] > y[i]) break;
    left_min = std::min(left_min, y[j]);
  }
  for (std::size_t j = i + 1; j < end; ++j) {
    if (y[j] > y[i]) break;
    right_min = std::min(right_min, y[j]);
  }
  return y[i] - std::max(left_min, right_min);
}

std::vector<std::size_t> local_maxima(const std::vector<double>& y, std::size_t end) {
  std::vector<std::size_t> maxima;
  for (std::size_t i = 2; i + 2 < end; ++i) {  // skip two points at each end: edge effects of smoothing
    if (y[i] > y[i - 1] && y[i] >= y[i + 1]) maxima.push_back(i);
  }
  return maxima;
}

std::string window_label(const std::vector<FeatureWindow>& windows, std::optional<double> T_over_Tg) {
  if (!T_over_Tg) return "";
  for (const auto& w : windows) {
    if (*T_over_Tg >= w.T_over_Tg_lo && *T_over_Tg < w.T_over_Tg_hi) return w.name;
  }
  return "";
}

/// Crystallization: the most negative slope, if it is negative and at least as steep as the
/// steepest rise before it; the onset is where the slope first reaches half that minimum.
std::optional<std::pair<double, std::size_t>> crystallization_onset(const std::vector<double>& T,
                                                                    const std::vector<double>& slope) {
  if (slope.size() < 5) return std::nullopt;
  const auto i_min = static_cast<std::size_t>(std::min_element(slope.begin(), slope.end()) - slope.begin());
  if (slope[i_min] >= 0 || i_min < 2) return std::nullopt;
  const double max_rise = *std::max_element(slope.begin(), slope.begin() + i_min);
  if (-slope[i_min] < max_rise) return std::nullopt;
  const double half = 0.5 * slope[i_min];
  std::size_t j = i_min;
  while (j > 0 && slope[j - 1] <= half) --j;
  if (j == 0) return std::make_pair(T[0], std::size_t{0});
  const double t = (half - slope[j - 1]) / (slope[j] - slope[j - 1]);
  return std::make_pair(T[j - 1] + t * (T[j] - T[j - 1]), j - 1);
}

}  // namespace

std::string_view to_string(FeatureKind kind) {
  switch (kind) {
    case FeatureKind::heat_flow_peak: return "heat_flow_peak";
    case FeatureKind::slope_increase: return "slope_increase";
    case FeatureKind::slope_decrease: return "slope_decrease";
    case FeatureKind::glass_transition: return "glass_transition";
    case FeatureKind::crystallization_onset: return "crystallization_onset";
  }
  return "unknown";
}

std::vector<FeatureWindow> default_feature_windows() {
  return {{"gamma", 0.25, 0.52}, {"beta", 0.55, 0.82}, {"excess_wing", 0.82, 0.97}};
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

FeatureReport find_features(const HeatFlow& hf, const FeatureOptions& options) {
  FeatureReport report;
  report.smoothing = hf.smoothing;
  report.criteria = fmt::format(
      "curvature = d(dSeq/dT)/dT of the smoothed series; slope changes = local extrema of curvature with "
      "|curvature| >= {0} x max|curvature| below crystallization; heat-flow peaks = local maxima of "
      "delta_phi with prominence >= {0} x its range below crystallization; Tg = largest curvature maximum "
      "({1}); crystallization = most negative slope when steeper than every rise before it, onset where the "
      "slope first reaches half that minimum; two points at each end ignored",
      options.min_relative_prominence,
      options.Tg_hint_K ? fmt::format("searched in [0.9, 1.1] x {} K", *options.Tg_hint_K) : "anywhere below crystallization");
  const std::vector<double>& T = hf.T_K;
  const std::vector<double>& slope = hf.dseq_dT_J_per_mol_K2;
  if (T.size() < 7) return report;
  const std::vector<double> curvature = nonuniform_derivative(T, slope);

  std::size_t end = T.size();  // features are searched below the crystallization onset
  if (const auto cryst = crystallization_onset(T, slope)) {
    report.crystallization_onset_K = cryst->first;
    end = std::max<std::size_t>(cryst->second, 5);
  }
  double max_abs_curvature = 0;
  for (std::size_t i = 2; i + 2 < end; ++i) max_abs_curvature = std::max(max_abs_curvature, std::abs(curvature[i]));

  // Tg: the strongest upward kink of Seq (largest curvature maximum).
  std::optional<std::size_t> tg_index;
  for (const std::size_t i : local_maxima(curvature, end)) {
    if (options.Tg_hint_K && (T[i] < 0.9 * *options.Tg_hint_K || T[i] > 1.1 * *options.Tg_hint_K)) continue;
    if (curvature[i] < options.min_relative_prominence * max_abs_curvature) continue;
    if (!tg_index || curvature[i] > curvature[*tg_index]) tg_index = i;
  }
  if (tg_index) report.Tg_K = T[*tg_index];
  const double Tg_for_ratio = report.Tg_K ? *report.Tg_K : options.Tg_hint_K.value_or(0.0);
  auto ratio = [&](double t) -> std::optional<double> {
    if (Tg_for_ratio > 0) return t / Tg_for_ratio;
    return std::nullopt;
  };

  auto add = [&](FeatureKind kind, std::size_t i, double value, double prominence, std::string criterion) {
    Feature f;
    f.kind = kind;
    f.T_K = T[i];
    f.T_over_Tg = ratio(T[i]);
    f.label = window_label(options.windows, f.T_over_Tg);
    f.value = value;
    f.prominence = prominence;
    f.criterion = std::move(criterion);
    report.features.push_back(std::move(f));
  };

  for (std::size_t i = 2; i + 2 < end; ++i) {
    const bool is_max = curvature[i] > curvature[i - 1] && curvature[i] >= curvature[i + 1] && curvature[i] > 0;
    const bool is_min = curvature[i] < curvature[i - 1] && curvature[i] <= curvature[i + 1] && curvature[i] < 0;
    if (!(is_max || is_min) || std::abs(curvature[i]) < options.min_relative_prominence * max_abs_curvature) continue;
    if (tg_index && i == *tg_index) continue;  // reported as the glass transition below
    add(is_max ? FeatureKind::slope_increase : FeatureKind::slope_decrease, i, curvature[i], std::abs(curvature[i]),
        "curvature extremum");
  }
  if (end > 4) {
    const auto [lo, hi] = std::minmax_element(hf.delta_phi_W_per_mol.begin(), hf.delta_phi_W_per_mol.begin() + end);
    const double range = *hi - *lo;
    for (const std::size_t i : local_maxima(hf.delta_phi_W_per_mol, end)) {
      const double prominence = prominence_at(hf.delta_phi_W_per_mol, i, end);
      if (range > 0 && prominence >= options.min_relative_prominence * range) {
        add(FeatureKind::heat_flow_peak, i, hf.delta_phi_W_per_mol[i], prominence, "heat-flow maximum");
      }
    }
  }
  if (tg_index) {
    add(FeatureKind::glass_transition, *tg_index, curvature[*tg_index], curvature[*tg_index], "largest curvature maximum");
    report.features.back().label = "Tg";
  }
  if (report.crystallization_onset_K) {
    Feature f;
    f.kind = FeatureKind::crystallization_onset;
    f.label = "crystallization";
    f.T_K = *report.crystallization_onset_K;
    f.T_over_Tg = ratio(f.T_K);
    f.value = *std::min_element(slope.begin(), slope.end());
    f.prominence = -f.value;
    f.criterion = "slope reaches half its most negative value";
    report.features.push_back(std::move(f));
  }
  std::sort(report.features.begin(), report.features.end(), [](const Feature& a, const Feature& b) { return a.T_K < b.T_K; });
  return report;
}

}  // namespace glasslab::analysis
