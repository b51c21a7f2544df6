#pragma once
// A run's analysis from in-memory inputs: per-frame Seq (never stops on a bad frame), the Seq(T)
// series with smoothing, heat flow and features, and the DMA fits. The CLI's file mode and the
// store-based `glasslab analyze RUN` (and the live path during a run) share these functions; the
// caller does the I/O (reading files, the store) and the output (JSON, plots).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/dma.hpp"
#include "analysis/heat_flow.hpp"
#include "analysis/seq.hpp"
#include "analysis/smoothing.hpp"

namespace glasslab::analysis {

/// One frame's outcome: the Seq result, or the reason it could not be analysed.
struct FrameSeq {
  int index = 0;
  std::string source;                ///< file name or frame label
  std::optional<double> T_mid_K;
  std::optional<SeqResult> seq;
  std::string reason;                ///< empty when seq is set
};

/// Parses G(r) text and computes Seq; never throws (a failure is recorded in `reason`).
/// This is the per-frame step of the live path: call it when the frame's .gr file arrives.
FrameSeq analyze_frame_text(int index, std::optional<double> T_mid_K, std::string_view gr_text,
                            std::string_view source, const SeqOptions& options) noexcept;

struct SeqSeriesOptions {
  WhittakerOptions whittaker;
  SavitzkyGolayOptions savitzky_golay;
  double heating_rate_K_per_s = 10.0 / 60.0;  ///< the paper's XRD ramp, 10 K/min
  std::optional<double> molar_mass_g_per_mol = kCuZrAlHfCoMolarMass_g_per_mol;
  FeatureOptions features;
  /// Features use a smoother curve, lambda = factor x lambda_GCV: GCV optimises the values, and
  /// their second derivative (the curvature the finder reads) is then still noisy.
  double feature_lambda_factor = 30.0;
};

struct SeqSeriesAnalysis {
  std::vector<double> T_K, seq_J_per_mol_K;  ///< the frames with a Seq and a T_mid
  SmoothedSeries whittaker;                  ///< GCV-smoothed Seq [J/(mol K)] and derivative
  std::optional<SmoothedSeries> savitzky_golay;  ///< baseline; absent when the series is too short
  std::string savitzky_golay_reason;
  HeatFlow heat_flow;                        ///< from the Whittaker derivative
  std::optional<HeatFlow> heat_flow_savitzky_golay;
  SmoothedSeries feature_smoothing;          ///< the smoother curve the features were located on
  FeatureReport features;
};

/// Throws std::invalid_argument when the series is too short for the smoother.
SeqSeriesAnalysis analyze_seq_series(const std::vector<double>& T_K, const std::vector<double>& seq_J_per_mol_K,
                                     const SeqSeriesOptions& options);

struct RunAnalysisOptions {
  SeqOptions seq;
  SeqSeriesOptions series;
  DmaAnalysisOptions dma;
};

struct RunReport {
  std::vector<FrameSeq> frames;
  std::optional<SeqSeriesAnalysis> series;
  std::string series_reason;   ///< why there is no series (too few frames, ...)
  std::optional<DmaAnalysis> dma;
};

/// Frames already computed (live) or fresh; DMA samples may be empty.
RunReport analyze_run(std::vector<FrameSeq> frames, const std::vector<DmaSample>& dma_samples,
                      const RunAnalysisOptions& options);

}  // namespace glasslab::analysis
