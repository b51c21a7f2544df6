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
#include "analysis/transitions.hpp"

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
  CrystallizationOptions crystallization;
  GlassTransitionOptions glass_transition;    ///< its Tg_hint_K is taken from features.Tg_hint_K
  int min_segment_points = 8;                 ///< a part smoothed on its own needs this many points
};

/// Seq(T) of a heating run. Crystallization is located first on the series smoothed as a whole
/// (GCV); the glass and liquid below it and the crystallization part are then smoothed separately,
/// each with its own GCV lambda, because the fall is ~100 times steeper than anything in the glass
/// and a single lambda fitted to it leaves the glass undersmoothed. Features and Tg come from the
/// part below crystallization only (docs/analysis.md, "Transitions" and "Features").
struct SeqSeriesAnalysis {
  std::vector<double> T_K, seq_J_per_mol_K;  ///< the frames with a Seq and a T_mid
  SmoothedSeries whittaker;                  ///< piecewise GCV-smoothed Seq [J/(mol K)] and derivative
  std::vector<SmoothedSeries> segments;      ///< the parts joined into `whittaker` (1 or 2)
  SmoothedSeries whole_series;               ///< one GCV lambda for everything (locates crystallization)
  std::optional<SmoothedSeries> savitzky_golay;  ///< baseline; absent when the series is too short
  std::string savitzky_golay_reason;
  HeatFlow heat_flow;                        ///< from the piecewise Whittaker derivative
  std::optional<HeatFlow> heat_flow_savitzky_golay;
  SmoothedSeries feature_smoothing;          ///< the part the features were located on (below crystallization)
  DerivativeErrors feature_errors;           ///< its slope and curvature standard errors
  std::optional<Crystallization> crystallization;
  GlassTransitionFit glass_transition;
  FeatureReport features;
};

/// Throws std::invalid_argument when the series is too short for the smoother.
SeqSeriesAnalysis analyze_seq_series(const std::vector<double>& T_K, const std::vector<double>& seq_J_per_mol_K,
                                     const SeqSeriesOptions& options);

/// Fig. 2 of the paper: curves of several runs (sample states) shifted by a constant so that they
/// overlap in the supercooled liquid, where the states' structures no longer differ; their Seq is
/// then compared in shape. The window is the reference's liquid: from `margin_above_Tg_K` above its
/// Tg (found, else `Tg_hint_K`) to `margin_below_end_K` below the end of its liquid (crystallization's
/// liquid_end_K, else its last point).
struct LiquidWindow {
  double from_K = 0, to_K = 0;
};
LiquidWindow liquid_window(const SeqSeriesAnalysis& reference, double Tg_hint_K, double margin_above_Tg_K = 15.0,
                           double margin_below_end_K = 5.0);
/// The offset that overlaps `series` (its input Seq values) with the reference's smoothed curve in
/// the window (liquid_alignment_offset).
LiquidAlignment align_in_liquid(const SeqSeriesAnalysis& series, const SeqSeriesAnalysis& reference, LiquidWindow window);

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
