// A run's analysis from in-memory inputs (see run_analysis.hpp).
#include "analysis/run_analysis.hpp"

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

SeqSeriesAnalysis analyze_seq_series(const std::vector<double>& T_K, const std::vector<double>& seq_J_per_mol_K,
                                     const SeqSeriesOptions& options) {
  SeqSeriesAnalysis out;
  out.T_K = T_K;
  out.seq_J_per_mol_K = seq_J_per_mol_K;
  out.whittaker = whittaker_smooth(T_K, seq_J_per_mol_K, options.whittaker);
  out.heat_flow = heat_flow_from_smoothed(out.whittaker, options.heating_rate_K_per_s, options.molar_mass_g_per_mol);
  try {
    out.savitzky_golay = savitzky_golay_smooth(T_K, seq_J_per_mol_K, options.savitzky_golay);
    out.heat_flow_savitzky_golay =
        heat_flow_from_smoothed(*out.savitzky_golay, options.heating_rate_K_per_s, options.molar_mass_g_per_mol);
  } catch (const std::invalid_argument& e) {
    out.savitzky_golay_reason = e.what();
  }
  WhittakerOptions feature_options = options.whittaker;
  feature_options.lambda = out.whittaker.lambda * options.feature_lambda_factor;
  out.feature_smoothing = whittaker_smooth(T_K, seq_J_per_mol_K, feature_options);
  const HeatFlow feature_heat_flow =
      heat_flow_from_smoothed(out.feature_smoothing, options.heating_rate_K_per_s, options.molar_mass_g_per_mol);
  out.features = find_features(feature_heat_flow, options.features);
  return out;
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
