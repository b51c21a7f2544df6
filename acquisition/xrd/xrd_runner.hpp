#pragma once
// X-ray frames during a schedule step, driven by the run engine's loop (issue 3, "Synchronisation"):
//   start(step) -> arm the trigger box; tick() sends each pulse when due (deadlines on the
//   engine's Clock), collects read-back edges, watches the frame folder, matches files to
//   triggers and writes one FrameRecord per frame with T at exposure start/middle/end
//   interpolated from the stage stream fed through on_stage_reading(); stop() ends it.
// Framewise external triggering: pulse i starts exposure i and ends exposure i-1, so N frames
// take N+1 pulses; the detector discards its readout at pulse 0 (integrated since arming).
// Never a silent gap: a missed, late, unreadable or unmatched frame is a row with its reason.
// A vanished trigger box does not throw out of tick(): it is recorded (event + rows), acquisition
// stops, failed() turns true and the engine decides what to do with the stage.
#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "acquisition/recorder.hpp"
#include "acquisition/xrd/folder_watcher.hpp"
#include "acquisition/xrd/frame_matcher.hpp"
#include "acquisition/xrd/temperature_interpolation.hpp"
#include "core/clock.hpp"
#include "drivers/trigger/trigger_box.hpp"

namespace glasslab::acquisition::xrd {

struct XrdConfig {
  double period_s = 12.0;    ///< time between trigger pulses
  double exposure_s = 12.0;  ///< framewise triggering: must equal period_s
  std::chrono::microseconds pulse_width{20};
  std::filesystem::path watch_dir;
  std::vector<std::string> extensions{".gr", ".tif", ".tiff"};
  double match_tolerance_s = -1;  ///< default: half a period
  double late_after_s = -1;       ///< default: 0.9 period
  double max_extrapolation_s = 5.0;
  double stage_wait_s = 5.0;      ///< how long a frame waits for a stage reading past its end
};

struct XrdStepInfo {
  int step_index = -1;
  int frame_count = -1;  ///< frames wanted; -1 = until stop()
  int first_frame_index = 0;  ///< frames are numbered on through a run's steps
};

class XrdAcquisitionRunner {
public:
  XrdAcquisitionRunner(trigger::TriggerBox& box, const Clock& clock, Recorder& recorder, XrdConfig config);

  void start(const XrdStepInfo& step);
  void on_stage_reading(const StageReading& reading);
  /// Does whatever is due now. Cheap when nothing is: call it from the engine loop, and wake up
  /// for next_deadline_mono_ns() so pulses go out on time.
  void tick();
  /// When the next pulse is due (INT64_MAX when none is).
  std::int64_t next_deadline_mono_ns() const;
  /// Disarms, waits for nothing: frames not yet answered become rows with status "missed".
  void stop();
  /// Ends the pulse train (disarms; the exposure after the last pulse is not a frame) but keeps
  /// watching for the files of frames already exposed; tick() goes on matching them, stop() ends.
  void stop_pulses();
  /// Frames exposed whose row is not written yet (waiting for a file or the stage stream).
  std::size_t frames_waiting() const { return matcher_.pending() + decided_.size(); }

  bool active() const { return active_; }
  bool failed() const { return !failure_.empty(); }
  const std::string& failure() const { return failure_; }
  int frames_recorded() const { return frames_recorded_; }
  /// The index the next frame would get (for the next step's first_frame_index).
  int next_frame_index() const { return next_frame_index_; }
  bool all_frames_done() const;

private:
  struct PulseTime {
    std::int64_t commanded_ns = 0;
    std::int64_t start_ns = 0;  ///< read-back edge when seen, else commanded
    bool readback = false;
  };
  void send_due_pulse();
  void handle_box_failure(const std::exception& e);
  void collect_results(bool final);
  void write_row(const MatchResult& result, const FrameTemperatures& temperatures, bool final);
  void event(EventLevel level, const std::string& kind, const std::string& message);

  trigger::TriggerBox& box_;
  const Clock& clock_;
  Recorder& recorder_;
  XrdConfig config_;
  XrdStepInfo step_;
  std::unique_ptr<FolderWatcher> watcher_;
  FrameMatcher matcher_;
  std::deque<StageReading> stage_;
  std::deque<MatchResult> decided_;  ///< matched or missed, waiting for the stage stream
  std::optional<PulseTime> previous_pulse_;
  std::int64_t train_start_ns_ = 0;
  int pulses_sent_ = 0;
  int next_frame_index_ = 0;
  int frames_recorded_ = 0;
  bool active_ = false;
  std::string failure_;
};

}  // namespace glasslab::acquisition::xrd
