#pragma once
// X-ray frames as a run-engine StepAttachment (issue 3, "Synchronisation"): the engine tells it
// when a step with `xrd = {...}` begins and ends and hands it every stage reading; a pacing thread
// of its own sleeps until the next pulse deadline on the engine's Clock and calls tick(), because
// the engine loop (2-10 Hz) is far too coarse to pace 20 us pulses to the millisecond.
//
// When frames start: on a ramp with its first stage reading; on a hold after the approach, once the stage has been
// within tolerance of the target for the settle time (the engine's own rule), so a hold's frames
// are all at the hold temperature.
// When a step ends: the pulse train stops at once (the exposure after the last pulse is not a
// frame) and end_step() waits, at most one late window, for the files of frames already exposed,
// so the last frame of a ramp is matched instead of declared missed. The stage meanwhile holds at
// the ramp's limit (the T95 holds at L1), which is safe.
//
// Trigger box lost (docs/trigger-box.md, "Losing the box mid-run"): the runner records the event
// and rows for the frames it can no longer finish; the next stage reading then throws a
// DeviceError out of on_stage_reading, which ends the run as failed with that reason, and the
// engine leaves the stage in its safe state. Every frame already taken stays recorded.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "acquisition/engine/run_engine.hpp"
#include "acquisition/xrd/xrd_runner.hpp"

namespace glasslab::acquisition::xrd {

struct XrdAttachmentSettings {
  XrdConfig base;                      ///< watch_dir, pulse width, tolerances; period set per step
  double tolerance_heating_K = 0.5;    ///< hold approach: the engine's tolerances and settle time
  double tolerance_cooling_K = 1.5;
  double settle_s = 10.0;
  double idle_poll_wall_s = 0.01;      ///< wall time between folder polls when no pulse is due
  bool fail_run_on_trigger_loss = true;
  int first_frame_index = 0;           ///< a resumed run numbers on after the frames it has
};

class XrdStepAttachment final : public StepAttachment {
public:
  /// Receives every frame row once written (after the store has it), outside the runner's lock:
  /// live analysis hangs here. Called from the pacing thread or the engine thread, never both.
  using FrameObserver = std::function<void(const FrameRecord&)>;

  XrdStepAttachment(trigger::TriggerBox& box, const Clock& clock, Recorder& recorder,
                    XrdAttachmentSettings settings, FrameObserver observer = {});
  ~XrdStepAttachment() override;

  bool wants(const schedules::Step& step) const override;
  void begin_step(const schedules::Step& step, int step_index) override;
  void on_stage_reading(const StageReading& reading) override;
  void end_step() override;
  void abandon(const std::string& reason) noexcept override;

  struct Counts {
    int rows = 0, ok = 0, not_ok = 0;
  };
  Counts counts() const;
  /// Why acquisition stopped early (trigger box lost); empty when it did not.
  std::string failure() const;

private:
  /// Forwards every record to the real recorder and keeps frame rows for the observer.
  class TeeRecorder final : public Recorder {
  public:
    explicit TeeRecorder(Recorder& inner) : inner_(inner) {}
    void record(const StageReading& r) override { inner_.record(r); }
    void record(const Event& e) override { inner_.record(e); }
    void record(const DmaPoint& p) override { inner_.record(p); }
    void record(const FrameRecord& f) override;
    std::vector<FrameRecord> take();

  private:
    Recorder& inner_;
    std::mutex mutex_;
    std::vector<FrameRecord> frames_;
  };

  void pacing_loop();
  void start_frames_locked();
  void finish_step_locked();
  void deliver_frames();
  void event(EventLevel level, const std::string& kind, const std::string& message);

  const Clock& clock_;
  Recorder& recorder_;
  XrdAttachmentSettings settings_;
  FrameObserver observer_;
  TeeRecorder tee_;
  std::unique_ptr<XrdAcquisitionRunner> runner_;
  trigger::TriggerBox& box_;

  mutable std::mutex mutex_;
  std::mutex deliver_mutex_;  // one observer call at a time
  std::condition_variable wake_;
  bool step_active_ = false;       ///< between begin_step and end_step
  std::optional<schedules::Step> step_;
  int step_index_ = -1;
  int next_frame_index_ = 0;
  std::deque<StageReading> recent_;  ///< the last seconds of readings, for a runner started mid-step
  bool waiting_for_settle_ = false;
  bool waiting_for_first_reading_ = false;
  double hold_target_K_ = 0;
  std::int64_t within_since_ns_ = -1;
  bool failure_reported_ = false;
  std::string failure_;
  Counts counts_;
  bool quit_ = false;
  std::thread pacer_;
};

}  // namespace glasslab::acquisition::xrd
