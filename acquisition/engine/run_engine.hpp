#pragma once
// Executes a schedule's stage steps host-side (the T95 knows one ramp; holds are timed here),
// polls and records the stage, and leaves it in the configured safe state on every exit path.
//
// A step ends when the stage temperature is within tolerance of the target (0.5 K heating,
// 1.5 K cooling by default, reference/linkam-t95.md "Field reports") for the settle time; holds then
// run for their duration on the experiment clock.
#include <atomic>
#include <functional>
#include <string>

#include "acquisition/control/run_control.hpp"
#include "acquisition/engine/stage_poller.hpp"
#include "acquisition/recorder.hpp"
#include "acquisition/safety/stage_safety_monitor.hpp"
#include "core/clock.hpp"
#include "drivers/linkam/device.hpp"
#include "schedules/plan.hpp"
#include "schedules/schedule.hpp"

namespace glasslab::acquisition {

struct EngineSettings {
  double poll_hz = 2.0;
  linkam::SafeState safe_state = linkam::SafeState::stop;
  double tolerance_heating_K = 0.5;
  double tolerance_cooling_K = 1.5;
  double settle_s = 10.0;
  double approach_rate_K_per_min = 20.0;
  /// A step that takes longer than factor × planned + margin fails the run (stage stuck, LN2 empty).
  double step_timeout_factor = 2.0;
  double step_timeout_margin_s = 900.0;
  /// Interlocks and watchdog (docs/reliability.md); its safe_state is set from safe_state above.
  safety::StageSafetyLimits safety;
};

/// Everything an operator wants to see while a run works (issue 6 builds the UI on this).
struct RunProgress {
  int step_index = 0;        ///< 0-based
  int step_count = 0;
  std::string step_kind;
  std::string step_description;
  double run_fraction = 0;   ///< 0..1 of the planned total
  double remaining_s = 0;    ///< planned time left, experiment seconds
  double elapsed_s = 0;
  double T_K = 0;
  double setpoint_K = 0;
  double rate_K_per_min = 0;
  std::string stage_state;
  int faults = 0;            ///< comms faults and gaps so far
};

/// Hook for work that runs during a stage step (X-ray frames): the engine calls it from its loop.
class StepAttachment {
public:
  virtual ~StepAttachment() = default;
  virtual bool wants(const schedules::Step& step) const = 0;
  virtual void begin_step(const schedules::Step& step, int step_index) = 0;
  /// Called after every stage reading while the step runs.
  virtual void on_stage_reading(const StageReading& reading) = 0;
  virtual void end_step() = 0;
  /// Called on every exit path; never throws.
  virtual void abandon(const std::string& reason) noexcept = 0;
};

class RunEngine {
public:
  RunEngine(const schedules::Schedule& schedule, linkam::LinkamDevice& stage, Recorder& recorder,
            const Clock& clock, EngineSettings settings);

  void set_progress_callback(std::function<void(const RunProgress&)> callback);
  void add_attachment(StepAttachment& attachment);
  /// Counts comms faults reported by the driver (wire its on_event here).
  void note_device_fault() { ++faults_; }
  /// `glasslab resume`: start at this step (0-based); the steps before it are not run.
  void set_first_step(int step_index) { first_step_ = step_index; }
  /// Called from the engine thread when a step starts (finished = false) and when it completed
  /// (finished = true); the resume checkpoints hang here.
  void set_step_callback(std::function<void(int step_index, bool finished)> callback) {
    on_step_ = std::move(callback);
  }

  /// Runs the whole schedule. Never throws: every failure becomes the returned stop record,
  /// and the stage is left safe before this returns. `control` is read between readings: abort
  /// ends the run, pause holds the stage where it is and stops X-ray frames until resume
  /// (docs/dashboard.md, "Pause"); paused time does not count towards a step.
  RunStop execute(control::RunControl& control);

private:
  struct StepOutcome {
    bool completed = false;
    ExitStatus status = ExitStatus::success;
    std::string reason;
  };

  StepOutcome run_step(const schedules::Step& step, int index, control::RunControl& control);
  StepOutcome go_to(double target_K, double rate_K_per_min, double timeout_s, control::RunControl& control);
  StepOutcome wait_for_s(double duration_s, control::RunControl& control);
  /// At a safe point with a pause wanted: hold, wait for resume (or abort), then ramp on towards
  /// the step's target. `paused_ns` gets the experiment time spent paused.
  StepOutcome hold_while_paused(control::RunControl& control, std::int64_t& paused_ns);
  void start_ramp(double target_K, double rate_K_per_min);
  StepOutcome check_reading(const StageSnapshot& snapshot);
  void report_progress(const StageSnapshot& snapshot);
  void log_event(EventLevel level, const std::string& kind, const std::string& message);
  void leave_safe() noexcept;

  const schedules::Schedule& schedule_;
  linkam::LinkamDevice& stage_;
  Recorder& recorder_;
  const Clock& clock_;
  EngineSettings settings_;
  // Before the poller: its thread calls into the monitor, so the monitor is destroyed after it.
  safety::StageSafetyMonitor safety_;
  StagePoller poller_;
  schedules::Plan plan_;
  std::vector<StepAttachment*> attachments_;
  std::vector<StepAttachment*> active_attachments_;
  std::function<void(const RunProgress&)> on_progress_;
  std::uint64_t last_sequence_ = 0;
  int current_step_ = -1;
  const schedules::Step* current_step_body_ = nullptr;
  double ramp_target_K_ = 0;  ///< what the stage ramps towards now: a resume ramps on from here
  double ramp_rate_K_per_min_ = 0;
  std::int64_t run_start_mono_ns_ = 0;
  std::int64_t step_start_mono_ns_ = 0;
  std::int64_t paused_in_step_ns_ = 0;  ///< progress and the plan stand still while paused
  std::int64_t paused_since_ns_ = -1;   ///< start of the pause in progress, -1 when running
  std::atomic<int> faults_{0};
  int first_step_ = 0;
  std::function<void(int, bool)> on_step_;
};

}  // namespace glasslab::acquisition
