#pragma once
// DMA sweep analysis: group points by frequency, fit the loss peaks of one observable per
// frequency (loss_peaks.hpp), then per relaxation the Arrhenius fit (arrhenius.hpp).
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/arrhenius.hpp"
#include "analysis/loss_peaks.hpp"

namespace glasslab::analysis {

/// The paper fits tan delta; tan delta, E'' and G'' peaks sit at different temperatures, so one
/// observable is chosen for every frequency and recorded with the result.
enum class DmaObservable { tan_delta, loss_modulus };
std::string_view to_string(DmaObservable observable);

struct DmaSample {
  double T_K = 0;
  double frequency_Hz = 0;
  double value = 0;  ///< the chosen observable (tan delta, or loss modulus in Pa)
};

/// Parses CSV text with a header row naming at least `T_K`, `frequency_Hz` and the observable's
/// column (`tan_delta`, or `loss_modulus_Pa`); other columns are ignored, `#` starts a comment.
/// Errors are glasslab::ProtocolError naming "source:line" and the value.
std::vector<DmaSample> parse_dma_csv(std::string_view text, std::string_view source_name, DmaObservable observable);

struct DmaAnalysisOptions {
  DmaObservable observable = DmaObservable::tan_delta;
  std::vector<RelaxationSpec> relaxations = paper_relaxations();
  PeakFitOptions peak_fit;
  double frequency_relative_tolerance = 1e-6;  ///< points within this are the same frequency
};

struct FrequencyData {
  double frequency_Hz = 0;
  std::vector<double> T_K, value;  ///< sorted by T
};

struct RelaxationResult {
  std::string name;
  std::vector<ArrheniusPoint> points;   ///< frequencies where this peak's fit is ok
  ArrheniusFit arrhenius;
};

struct DmaAnalysis {
  DmaObservable observable = DmaObservable::tan_delta;
  std::vector<FrequencyData> data;       ///< per frequency, ascending
  std::vector<FrequencyFit> fits;        ///< same order as data
  std::vector<RelaxationResult> relaxations;
};

std::vector<FrequencyData> group_by_frequency(std::span<const DmaSample> samples, double relative_tolerance = 1e-6);

DmaAnalysis analyze_dma(std::span<const DmaSample> samples, const DmaAnalysisOptions& options = {});

}  // namespace glasslab::analysis
