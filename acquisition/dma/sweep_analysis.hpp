#pragma once
// The DMA fits of a sweep, computed when the sweep ends (issue 5 item 4): a Recorder tee that
// passes every record on unchanged, keeps the DmaPoints of the sweep in progress, and on the
// sweep runner's end event (sweep_end / sweep_failed / sweep_aborted) runs analysis::analyze_dma
// on them and hands the result, as JSON, to a callback (the run stores it as analysis_results
// kind "dma_fit"). A fit that fails is reported with its status and reason, never a number.
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "acquisition/recorder.hpp"
#include "analysis/dma.hpp"

namespace glasslab::acquisition::dma {

/// JSON of one sweep's analysis: per frequency the loss-peak fits, per relaxation the Arrhenius
/// fit. Optional numbers that are absent (failed fits) are JSON null.
nlohmann::json dma_analysis_json(const analysis::DmaAnalysis& analysis);

/// Fits a sweep's points (tan delta by default, the paper's observable). Never throws: when the
/// analysis itself cannot run (too few points, bad values) the JSON has status "failed" and a reason.
nlohmann::json analyze_sweep_points(const std::vector<DmaPoint>& points, const analysis::DmaAnalysisOptions& options);

class SweepFitRecorder : public Recorder {
public:
  /// name, json of the fits; called on the thread that recorded the sweep's end event.
  using FitCallback = std::function<void(const std::string& sweep_name, const nlohmann::json& fits)>;

  SweepFitRecorder(Recorder& inner, FitCallback on_fit, analysis::DmaAnalysisOptions options = {});

  void record(const StageReading& reading) override { inner_.record(reading); }
  void record(const FrameRecord& frame) override { inner_.record(frame); }
  void record(const DmaPoint& point) override;
  void record(const Event& event) override;

  int sweeps_analysed() const { return sweeps_analysed_; }

private:
  void finish_sweep(const std::string& end_kind, const std::string& end_message);

  Recorder& inner_;
  FitCallback on_fit_;
  analysis::DmaAnalysisOptions options_;
  std::vector<DmaPoint> points_;  ///< of the sweep in progress only: memory stays flat over a night
  std::string sweep_name_;
  bool in_sweep_ = false;
  int sweeps_analysed_ = 0;
};

}  // namespace glasslab::acquisition::dma
