// A run's analysis from in-memory inputs (see run_analysis.hpp).
#include "analysis/run_analysis.hpp"

#include <algorithm>
#include <cmath>
#include <exception>

#include <fmt/format.h>

namespace glasslab::analysis {

FrameSeq analyze_frame_text(int index, std::optional<double> T_mid_K, std::string_view gr_text,
                            std::string_view source, const SeqOptions& options) noexcept {
  FrameSeq frame;
  frame.index = index;
  try {
    frame.source = std::string(source);
    frame.T_mid_K = T_mid_K;
    const PdfData pdf = parse_pdf_text(gr_text, source);
    frame.seq = compute_seq(pdf, options);
  } catch (const std::exception& e) {
    frame.seq.reset();
    try {
      frame.reason = e.what();
    } catch (...) {
    }
  } catch (...) {
    frame.seq.reset();
  }
  if (!frame.seq && frame.reason.empty()) frame.reason = "unknown error";
  return frame;
}

namespace {

/// The points of `x`/`y` with lo <= x < hi.
std::pair<std::vector<double>, std::vector<double>> points_between(const std::vector<double>& x, const std::vector<double>& y,
                                                                   double lo, double hi) {
  std::pair<std::vector<double>, std::vector<double>> out;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (x[i] >= lo && x[i] < hi) {
      out.first.push_back(x[i]);
      out.second.push_back(y[i]);
    }
  }
  return out;
}

/// Segments joined in x order; lambda, GCV and dof are the first segment's, the others in `note`.
SmoothedSeries join_segments(const std::vector<SmoothedSeries>& segments) {
  SmoothedSeries joined = segments.front();
  joined.lambda_points = static_cast<int>(joined.x.size());
  if (segments.size() > 1) joined.note = fmt::format(" (below {:.1f} K)", segments[1].x.front());
  for (std::size_t k = 1; k < segments.size(); ++k) {
    const SmoothedSeries& s = segments[k];
    using Column = std::vector<double> SmoothedSeries::*;
    for (const Column field : {&SmoothedSeries::x, &SmoothedSeries::y_input, &SmoothedSeries::y_smooth,
                               &SmoothedSeries::dy_dx, &SmoothedSeries::weight}) {
      (joined.*field).insert((joined.*field).end(), (s.*field).begin(), (s.*field).end());
    }
    joined.note += fmt::format("; from {:.1f} K (crystallization) smoothed on its own: lambda = {:.4g}, {} points",
                               s.x.front(), s.lambda, s.x.size());
  }
  double sq = 0;
  for (std::size_t i = 0; i < joined.x.size(); ++i) sq += std::pow(joined.y_input[i] - joined.y_smooth[i], 2);
  joined.residual_rms = std::sqrt(sq / static_cast<double>(joined.x.size()));
  return joined;
}

/// The Tg reference when no hint is given: the most significant slope increase.
std::optional<double> strongest_slope_increase(const std::vector<Feature>& features) {
  const Feature* best = nullptr;
  for (const Feature& f : features)
    if (f.kind == FeatureKind::slope_increase && (!best || f.significance > best->significance)) best = &f;
  return best ? std::optional<double>(best->T_K) : std::nullopt;
}

FeatureReport assemble_features(const SeqSeriesAnalysis& a, std::vector<Feature> slope_features,
                                const FeatureOptions& options) {
  FeatureReport report;
  report.smoothing = a.feature_smoothing.describe();
  report.features = std::move(slope_features);
  report.criteria = slope_feature_criteria(options) + "; Tg: " + a.glass_transition.method;
  const GlassTransitionFit& g = a.glass_transition;
  if (g.Tg_K) {
    report.Tg_K = g.Tg_K;
    Feature f;
    f.kind = FeatureKind::glass_transition;
    f.label = "Tg";
    f.T_K = *g.Tg_K;
    f.T_over_Tg = 1.0;
    f.value = g.heat_capacity_step;
    f.prominence = g.heat_capacity_step;
    f.significance = g.step_significance;
    f.criterion = fmt::format("step fit: Tg = {:.1f} +- {:.1f} K, width {:.1f} K", *g.Tg_K, *g.Tg_stderr_K, g.width_K);
    report.features.push_back(std::move(f));
  }
  if (a.crystallization) {
    const Crystallization& c = *a.crystallization;
    report.crystallization_onset_K = c.onset_K;
    report.criteria += "; crystallization: " + c.criterion;
    Feature f;
    f.kind = FeatureKind::crystallization_onset;
    f.label = "crystallization";
    f.T_K = c.onset_K;
    const double Tg = g.Tg_K.value_or(options.Tg_hint_K.value_or(0.0));
    if (Tg > 0) f.T_over_Tg = c.onset_K / Tg;
    f.value = c.steepest_slope;
    f.prominence = c.drop;
    f.significance = c.drop_over_noise;
    f.criterion = "extrapolated onset of the fall of Seq";
    report.features.push_back(std::move(f));
  }
  std::sort(report.features.begin(), report.features.end(), [](const Feature& x, const Feature& y) { return x.T_K < y.T_K; });
  return report;
}

}  // namespace

SeqSeriesAnalysis analyze_seq_series(const std::vector<double>& T_K, const std::vector<double>& seq_J_per_mol_K,
                                     const SeqSeriesOptions& options) {
  SeqSeriesAnalysis out;
  out.T_K = T_K;
  out.seq_J_per_mol_K = seq_J_per_mol_K;
  out.whole_series = whittaker_smooth(T_K, seq_J_per_mol_K, options.whittaker);
  out.crystallization = locate_crystallization(out.whole_series, options.crystallization);
  if (out.crystallization) {
    const double split = out.crystallization->liquid_end_K;
    const auto below = points_between(T_K, seq_J_per_mol_K, -INFINITY, split);
    const auto above = points_between(T_K, seq_J_per_mol_K, split, INFINITY);
    const auto min_points = static_cast<std::size_t>(options.min_segment_points);
    if (below.first.size() >= min_points && above.first.size() >= min_points) {
      out.segments.push_back(whittaker_smooth(below.first, below.second, options.whittaker));
      out.segments.push_back(whittaker_smooth(above.first, above.second, options.whittaker));
    }
  }
  if (out.segments.empty()) out.segments.push_back(out.whole_series);
  out.whittaker = join_segments(out.segments);
  out.heat_flow = heat_flow_from_smoothed(out.whittaker, options.heating_rate_K_per_s, options.molar_mass_g_per_mol);
  try {
    out.savitzky_golay = savitzky_golay_smooth(T_K, seq_J_per_mol_K, options.savitzky_golay);
    out.heat_flow_savitzky_golay =
        heat_flow_from_smoothed(*out.savitzky_golay, options.heating_rate_K_per_s, options.molar_mass_g_per_mol);
  } catch (const std::invalid_argument& e) {
    out.savitzky_golay_reason = e.what();
  }

  out.feature_smoothing = out.segments.front();
  out.feature_errors = whittaker_derivative_errors(out.feature_smoothing);
  const HeatFlow feature_heat_flow =
      heat_flow_from_smoothed(out.feature_smoothing, options.heating_rate_K_per_s, options.molar_mass_g_per_mol);
  std::vector<Feature> slope_features =
      find_slope_features(feature_heat_flow, out.feature_errors, std::nullopt, options.features);
  GlassTransitionOptions tg_options = options.glass_transition;
  tg_options.Tg_hint_K = options.features.Tg_hint_K;
  const SmoothedSeries& glass = out.feature_smoothing;
  out.glass_transition = fit_glass_transition(glass.x, glass.y_input, glass.weight,
                                              out.crystallization ? out.crystallization->liquid_end_K : glass.x.back(),
                                              strongest_slope_increase(slope_features), tg_options);
  if (out.glass_transition.Tg_K) {  // labels by the Tg found
    slope_features = find_slope_features(feature_heat_flow, out.feature_errors, out.glass_transition.Tg_K, options.features);
  }
  out.features = assemble_features(out, std::move(slope_features), options.features);
  return out;
}

LiquidWindow liquid_window(const SeqSeriesAnalysis& reference, double Tg_hint_K, double margin_above_Tg_K,
                           double margin_below_end_K) {
  const double Tg = reference.glass_transition.Tg_K.value_or(Tg_hint_K);
  const double end = reference.crystallization ? reference.crystallization->liquid_end_K : reference.whittaker.x.back();
  return {Tg + margin_above_Tg_K, end - margin_below_end_K};
}

LiquidAlignment align_in_liquid(const SeqSeriesAnalysis& series, const SeqSeriesAnalysis& reference, LiquidWindow window) {
  return liquid_alignment_offset(series.whittaker.x, series.whittaker.y_input, reference.whittaker.x,
                                 reference.whittaker.y_smooth, window.from_K, window.to_K);
}

RunReport analyze_run(std::vector<FrameSeq> frames, const std::vector<DmaSample>& dma_samples,
                      const RunAnalysisOptions& options) {
  RunReport report;
  report.frames = std::move(frames);
  std::vector<double> T, S;
  for (const FrameSeq& f : report.frames) {
    if (f.seq && f.T_mid_K) {
      T.push_back(*f.T_mid_K);
      S.push_back(f.seq->seq_J_per_mol_K);
    }
  }
  if (T.size() >= 8) {
    try {
      report.series = analyze_seq_series(T, S, options.series);
    } catch (const std::exception& e) {
      report.series_reason = e.what();
    }
  } else if (!report.frames.empty()) {
    report.series_reason = fmt::format("{} frames with Seq and a mid-exposure temperature; the series needs 8", T.size());
  }
  if (!dma_samples.empty()) report.dma = analyze_dma(dma_samples, options.dma);
  return report;
}

}  // namespace glasslab::analysis
