#pragma once
// The simulated flat-panel detector (PerkinElmer XRD1621 behaviour from
// /work/shared/reference/detector-trigger.md) in framewise external-trigger mode: every trigger
// pulse reads out the frame integrated since the previous one and starts the next, so the period
// between pulses is the exposure. The first readout after arming integrated since arming, an
// undefined time, and is discarded as the vendor software does. Pulses narrower than the
// detector's 20 us minimum are ignored. Each kept frame becomes one PDFgetX3-style .gr file
// (docs/detector-model.md) written atomically (temporary name, then rename) into the output folder.
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "sim/detector/glass_model.hpp"
#include "sim/detector/stage_truth.hpp"

namespace glasslab::sim::detector {

struct DetectorConfig {
  std::filesystem::path out_dir;
  SampleState sample_state = SampleState::as_cast;
  double min_pulse_width_s = 20e-6;  ///< reference: a 20 us wide trigger pulse
  double r_max_A = 20.0;
  double dr_A = 0.01;
  std::uint64_t seed = 1;            ///< frames are reproducible from (seed, index)
  std::string file_prefix = "frame_";
};

struct WrittenFrame {
  int index = 0;
  std::filesystem::path path;
  std::int64_t start_mono_ns = 0, end_mono_ns = 0;
  double true_T_mid_K = 0;
  bool truth_extrapolated = false;
  double seq_truth_kB = 0;  ///< Eq. 2 of the noiseless model, r_max 10 A
};

class SimDetector {
public:
  SimDetector(const Clock& clock, DetectorConfig config, StageTruth& truth);

  /// (Re)arms: the next trigger's readout is discarded.
  void arm();
  /// A trigger pulse whose leading edge was at `t_mono_ns`. Returns true when a frame started
  /// (the detector's /TRIG_OUT fires), false when the pulse was too short to count.
  bool on_trigger(std::int64_t t_mono_ns, std::int64_t width_ns);

  std::vector<WrittenFrame> written() const;
  int discarded_readouts() const;
  int ignored_short_pulses() const;
  /// Experiment seconds since the simulator started (the time axis of the stage truth).
  double experiment_s(std::int64_t mono_ns) const { return static_cast<double>(mono_ns - origin_mono_ns_) * 1e-9; }

private:
  WrittenFrame write_frame(std::int64_t start_ns, std::int64_t end_ns);

  const Clock& clock_;
  DetectorConfig config_;
  StageTruth& truth_;
  GlassStructureModel model_;
  std::vector<double> r_;
  std::int64_t origin_mono_ns_;
  mutable std::mutex mutex_;
  bool exposing_ = false;     ///< false right after arming: the next readout is discarded
  std::int64_t exposure_start_ns_ = 0;
  int next_index_ = 0;
  int discarded_ = 0;
  int ignored_short_ = 0;
  double last_known_T_K_ = 293.15;
  std::vector<WrittenFrame> written_;
};

/// Writes one frame in PDFgetX3 .gr layout: header, "#### start data", "#L r G", two columns.
void write_gr_file(const std::filesystem::path& path, const std::vector<std::pair<std::string, std::string>>& header,
                   const std::vector<double>& r_A, const std::vector<double>& G);

}  // namespace glasslab::sim::detector
