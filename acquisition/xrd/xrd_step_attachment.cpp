#include "acquisition/xrd/xrd_step_attachment.hpp"

#include <chrono>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "core/error.hpp"

namespace glasslab::acquisition::xrd {

namespace {
constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();
/// Close to a deadline the pacer stops waiting on the condition variable (whose wake-up can be
/// late by a scheduler tick) and sleeps on the Clock itself for the last stretch.
constexpr double kFinalApproachWallS = 0.002;
}  // namespace

void XrdStepAttachment::TeeRecorder::record(const FrameRecord& f) {
  inner_.record(f);
  std::lock_guard lock(mutex_);
  frames_.push_back(f);
}

std::vector<FrameRecord> XrdStepAttachment::TeeRecorder::take() {
  std::lock_guard lock(mutex_);
  std::vector<FrameRecord> out;
  out.swap(frames_);
  return out;
}

XrdStepAttachment::XrdStepAttachment(trigger::TriggerBox& box, const Clock& clock, Recorder& recorder,
                                     XrdAttachmentSettings settings, FrameObserver observer)
    : clock_(clock),
      recorder_(recorder),
      settings_(std::move(settings)),
      observer_(std::move(observer)),
      tee_(recorder),
      box_(box) {
  next_frame_index_ = settings_.first_frame_index;
  pacer_ = std::thread([this] { pacing_loop(); });
}

XrdStepAttachment::~XrdStepAttachment() {
  {
    std::lock_guard lock(mutex_);
    quit_ = true;
  }
  wake_.notify_all();
  if (pacer_.joinable()) pacer_.join();
  abandon("attachment destroyed");
}

void XrdStepAttachment::event(EventLevel level, const std::string& kind, const std::string& message) {
  const std::int64_t now = clock_.mono_ns();
  recorder_.record(Event{now, clock_.utc_ns_at(now), level, "xrd", kind, message});
}

bool XrdStepAttachment::wants(const schedules::Step& step) const {
  return step.xrd.has_value() && (std::holds_alternative<schedules::RampStep>(step.body) ||
                                  std::holds_alternative<schedules::HoldStep>(step.body));
}

void XrdStepAttachment::begin_step(const schedules::Step& step, int step_index) {
  std::unique_lock lock(mutex_);
  if (!failure_.empty()) return;  // the box is gone: no more frames in this run
  step_ = step;
  step_index_ = step_index;
  step_active_ = true;
  within_since_ns_ = -1;
  if (const auto* hold = std::get_if<schedules::HoldStep>(&step.body)) {
    waiting_for_settle_ = true;
    hold_target_K_ = hold->temperature_K;
    lock.unlock();
    event(EventLevel::info, "xrd_wait",
          fmt::format("step {}: frames start once the stage has settled at {:.2f} K", step_index + 1, hold_target_K_));
    return;
  }
  // A ramp's frames start with its first stage reading (a poll period at most), so the first
  // frame's T_start is interpolated between readings rather than extrapolated.
  waiting_for_settle_ = false;
  waiting_for_first_reading_ = true;
}

void XrdStepAttachment::start_frames_locked() {
  const schedules::XrdAcquisition& xrd = *step_->xrd;
  XrdConfig config = settings_.base;
  config.period_s = xrd.period_s;
  config.exposure_s = xrd.exposure_s;
  XrdStepInfo info;
  info.step_index = step_index_;
  info.first_frame_index = next_frame_index_;
  if (xrd.frame_count) {
    info.frame_count = *xrd.frame_count;
  } else if (const auto* hold = std::get_if<schedules::HoldStep>(&step_->body)) {
    // As many whole frames as fit in the hold (docs/schedule-format.md, `xrd`).
    info.frame_count = std::max(1, static_cast<int>(std::floor(hold->duration_s / xrd.period_s + 1e-9)));
  }
  runner_ = std::make_unique<XrdAcquisitionRunner>(box_, clock_, tee_, config);
  // Readings from just before the first pulse, so T_start is interpolated, not extrapolated.
  for (const auto& reading : recent_) runner_->on_stage_reading(reading);
  runner_->start(info);
  runner_->tick();  // the first pulse is due now
}

void XrdStepAttachment::on_stage_reading(const StageReading& reading) {
  bool started = false;
  {
    std::lock_guard lock(mutex_);
    if (runner_) runner_->on_stage_reading(reading);
    recent_.push_back(reading);
    while (recent_.size() > 2 && reading.t_mono_ns - recent_.front().t_mono_ns > 10'000'000'000) recent_.pop_front();
    if (step_active_ && waiting_for_first_reading_) {
      waiting_for_first_reading_ = false;
      start_frames_locked();
      started = true;
    } else if (step_active_ && waiting_for_settle_) {
      const bool heating = reading.T_K <= hold_target_K_;
      const double tolerance_K = heating ? settings_.tolerance_heating_K : settings_.tolerance_cooling_K;
      if (std::abs(reading.T_K - hold_target_K_) <= tolerance_K) {
        if (within_since_ns_ < 0) within_since_ns_ = reading.t_mono_ns;
        if ((reading.t_mono_ns - within_since_ns_) * 1e-9 >= settings_.settle_s) {
          waiting_for_settle_ = false;
          start_frames_locked();
          started = true;
        }
      } else {
        within_since_ns_ = -1;
      }
    }
    if (runner_ && runner_->failed() && failure_.empty()) failure_ = runner_->failure();
  }
  if (started) wake_.notify_all();
  std::string failure;
  {
    std::lock_guard lock(mutex_);
    if (!failure_.empty() && !failure_reported_ && settings_.fail_run_on_trigger_loss) {
      failure_reported_ = true;
      failure = failure_;
    }
  }
  if (!failure.empty()) {
    deliver_frames();
    throw DeviceError(fmt::format("X-ray trigger box lost during step {}: {}; frames stopped, frames already taken "
                                  "are kept, the run ends and the stage is left safe",
                                  step_index_ + 1, failure));
  }
}

void XrdStepAttachment::finish_step_locked() {
  if (!runner_) return;
  runner_->stop();
  next_frame_index_ = runner_->next_frame_index();
  runner_.reset();
}

void XrdStepAttachment::end_step() {
  std::unique_lock lock(mutex_);
  step_active_ = false;
  waiting_for_settle_ = false;
  waiting_for_first_reading_ = false;
  if (runner_) {
    runner_->stop_pulses();
    // Wait (at most the late window) for the files of frames already exposed.
    const double period_s = step_->xrd->period_s;
    const std::int64_t give_up_ns = clock_.mono_ns() + static_cast<std::int64_t>(period_s * 1e9);
    while (runner_->frames_waiting() > 0 && clock_.mono_ns() < give_up_ns) {
      runner_->tick();
      wake_.wait_for(lock, std::chrono::duration<double>(settings_.idle_poll_wall_s));
    }
    finish_step_locked();
  }
  lock.unlock();
  deliver_frames();
}

void XrdStepAttachment::abandon(const std::string& reason) noexcept {
  try {
    {
      std::lock_guard lock(mutex_);
      step_active_ = false;
      waiting_for_settle_ = false;
      waiting_for_first_reading_ = false;
      if (runner_) {
        event(EventLevel::warning, "xrd_abandon", fmt::format("X-ray acquisition ended: {}", reason));
        finish_step_locked();
      }
    }
    deliver_frames();
  } catch (...) {
  }
}

void XrdStepAttachment::deliver_frames() {
  std::lock_guard deliver(deliver_mutex_);
  for (const auto& frame : tee_.take()) {
    {
      std::lock_guard lock(mutex_);
      ++counts_.rows;
      (frame.status == "ok" ? counts_.ok : counts_.not_ok)++;
    }
    if (observer_) {
      try {
        observer_(frame);
      } catch (...) {
        // Live analysis must never stop the acquisition.
      }
    }
  }
}

void XrdStepAttachment::pacing_loop() {
  std::unique_lock lock(mutex_);
  while (!quit_) {
    std::int64_t deadline = kNever;
    if (runner_) {
      runner_->tick();
      if (runner_->failed() && failure_.empty()) failure_ = runner_->failure();
      deadline = runner_->next_deadline_mono_ns();
    }
    lock.unlock();
    deliver_frames();
    lock.lock();
    if (quit_) break;
    // Wake for the next pulse, or to poll the frame folder again.
    double wait_wall_s = settings_.idle_poll_wall_s;
    if (deadline != kNever) {
      const double until_deadline_wall_s = static_cast<double>(deadline - clock_.mono_ns()) * 1e-9 / clock_.speed();
      if (until_deadline_wall_s <= kFinalApproachWallS) {
        if (until_deadline_wall_s > 0) {
          lock.unlock();
          clock_.sleep_until_mono_ns(deadline);
          lock.lock();
        }
        continue;
      }
      wait_wall_s = std::min(wait_wall_s, until_deadline_wall_s - kFinalApproachWallS);
    }
    wake_.wait_for(lock, std::chrono::duration<double>(wait_wall_s));
  }
}

XrdStepAttachment::Counts XrdStepAttachment::counts() const {
  std::lock_guard lock(mutex_);
  return counts_;
}

std::string XrdStepAttachment::failure() const {
  std::lock_guard lock(mutex_);
  return failure_;
}

}  // namespace glasslab::acquisition::xrd
