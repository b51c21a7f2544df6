#include "acquisition/engine/run_engine.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

#include <fmt/format.h>

namespace glasslab::acquisition {

namespace {
constexpr auto kReadingWait = std::chrono::milliseconds(250);
// The exit path's safe state, when nothing could be sent: retried every second of wall time for
// this long (docs/reliability.md, "What the safety thread can send").
constexpr auto kExitSafeStateWindow = std::chrono::seconds(10);
constexpr auto kExitSafeStateRetry = std::chrono::seconds(1);

template <class... Ts>
struct overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
overloaded(Ts...) -> overloaded<Ts...>;
}  // namespace

RunEngine::RunEngine(const schedules::Schedule& schedule, linkam::LinkamDevice& stage, Recorder& recorder,
                     const Clock& clock, EngineSettings settings)
    : schedule_(schedule),
      stage_(stage),
      recorder_(recorder),
      clock_(clock),
      settings_(settings),
      safety_(
          [&] {
            auto limits = settings.safety;
            limits.safe_state = settings.safe_state;
            return limits;
          }(),
          stage.description(), recorder, clock,
          [&stage](linkam::SafeState state, std::chrono::milliseconds line_wait) {
            return stage.enter_safe_state(state, line_wait);
          }),
      poller_(stage, recorder, clock, settings.poll_hz) {
  poller_.set_reading_observer([this](const StageReading& reading) { safety_.on_reading(reading); });
  poller_.set_disturbance_observer([this] { safety_.on_line_disturbed(); });
}

void RunEngine::set_progress_callback(std::function<void(const RunProgress&)> callback) {
  on_progress_ = std::move(callback);
}

void RunEngine::add_attachment(StepAttachment& attachment) { attachments_.push_back(&attachment); }

void RunEngine::log_event(EventLevel level, const std::string& kind, const std::string& message) {
  record_event(recorder_, clock_, level, "engine", kind, message);
}

void RunEngine::leave_safe() noexcept {
  for (auto* attachment : active_attachments_) attachment->abandon("run ended");
  active_attachments_.clear();
  // After an interlock trip the trip's safe state wins (an overheating stage is stopped, not held).
  const auto state = safety_.exit_safe_state(settings_.safe_state);
  const char* name = state == linkam::SafeState::hold ? "hold" : "stop";
  // A controller that heard nothing (silent, the line down) cannot be left in any state, and a
  // blind E may not have been heard either (a silent controller answers no T, just as a garbling
  // line): keep trying for a while rather than exit and leave the stage running its program.
  auto result = stage_.try_safe_state(state);
  const auto give_up = std::chrono::steady_clock::now() + kExitSafeStateWindow;
  while (result != linkam::SafeStateResult::confirmed && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(kExitSafeStateRetry);
    result = stage_.try_safe_state(state);
  }
  const bool confirmed = result == linkam::SafeStateResult::confirmed;
  try {
    if (confirmed)
      log_event(EventLevel::info, "safe_state", fmt::format("stage left in safe state '{}'", name));
    else
      log_event(EventLevel::error, "safe_state",
                fmt::format("stage safe state '{}' NOT confirmed by the controller (see the linkam events): check "
                            "the stage",
                            name));
  } catch (...) {
  }
}

RunStop RunEngine::execute(control::RunControl& control) {
  RunStop stop;
  run_start_mono_ns_ = clock_.mono_ns();
  try {
    stage_.connect();
    log_event(EventLevel::info, "connected", "stage connected");
    // LN2 pump in automatic mode: the controller runs it only when cooling needs it
    // (reference/linkam-t95.md: cooling below ambient or faster than free cooling needs the pump).
    stage_.set_pump_automatic();
    safety_.start();  // armed before the first poll: every reading is checked
    poller_.start();
    const auto first = poller_.wait_for_reading_after(0, std::chrono::seconds(10));
    if (!first) throw DeviceError(poller_.fatal_error().value_or("no status reading from the stage within 10 s"));
    last_sequence_ = first->sequence;
    const auto first_step = static_cast<std::size_t>(std::max(first_step_, 0));
    plan_ = schedules::make_plan(schedule_, first->reading.T_K, schedules::kRoomTemperature_K, first_step);
    log_event(EventLevel::info, "plan",
              fmt::format("{} step{}, planned {:.0f} s from {:.2f} K at step {}", schedule_.steps.size(),
                          schedule_.steps.size() == 1 ? "" : "s", plan_.total_s, first->reading.T_K, first_step + 1));
    StepOutcome outcome{true, ExitStatus::success, ""};
    for (std::size_t i = first_step; i < schedule_.steps.size() && outcome.completed; ++i)
      outcome = run_step(schedule_.steps[i], static_cast<int>(i), control);
    stop.status = outcome.status;
    stop.reason = outcome.completed ? "schedule completed" : outcome.reason;
  } catch (const std::exception& e) {
    // After a trip the safety thread abandons the driver's recovery, so a command of the engine
    // may fail with "recovery abandoned": the trip is the reason, not that.
    stop.status = ExitStatus::failed;
    stop.reason = safety_.trip() ? safety_.trip_message() : e.what();
  }
  safety_.stop();
  leave_safe();
  poller_.stop();
  if (stop.status != ExitStatus::success)
    log_event(stop.status == ExitStatus::aborted ? EventLevel::warning : EventLevel::error, "run_end", stop.reason);
  stop.stop_mono_ns = clock_.mono_ns();
  stop.stop_utc_ns = clock_.utc_ns_at(stop.stop_mono_ns);
  return stop;
}

RunEngine::StepOutcome RunEngine::run_step(const schedules::Step& step, int index, control::RunControl& control) {
  current_step_ = index;
  current_step_body_ = &step;
  step_start_mono_ns_ = clock_.mono_ns();
  paused_in_step_ns_ = 0;
  poller_.set_step_index(index);
  const auto& planned = plan_.steps.at(static_cast<std::size_t>(index));
  log_event(EventLevel::info, "step_start",
            fmt::format("step {}/{} {}: {}", index + 1, schedule_.steps.size(), step.kind(), planned.description));
  if (on_step_) on_step_(index, false);
  const double timeout_s = planned.duration_s * settings_.step_timeout_factor + settings_.step_timeout_margin_s;

  for (auto* attachment : attachments_)
    if (attachment->wants(step)) {
      attachment->begin_step(step, index);
      active_attachments_.push_back(attachment);
    }

  StepOutcome outcome = std::visit(
      overloaded{
          [&](const schedules::RampStep& ramp) {
            return go_to(ramp.to_K, ramp.rate_K_per_min, timeout_s, control);
          },
          [&](const schedules::HoldStep& hold) {
            const double approach = hold.approach_rate_K_per_min.value_or(settings_.approach_rate_K_per_min);
            StepOutcome reached = go_to(hold.temperature_K, approach, timeout_s, control);
            if (!reached.completed) return reached;
            return wait_for_s(hold.duration_s, control);
          },
          [&](const auto&) {
            return StepOutcome{false, ExitStatus::failed,
                               fmt::format("{}: step {} ({}) needs the rheometer engine, which this run has not",
                                           step.where.file, index + 1, step.kind())};
          },
      },
      step.body);

  for (auto* attachment : active_attachments_) attachment->end_step();
  active_attachments_.clear();
  const double took_s = (clock_.mono_ns() - step_start_mono_ns_) * 1e-9;
  if (outcome.completed) {
    log_event(EventLevel::info, "step_end",
              fmt::format("step {}/{} done in {:.1f} s (planned {:.1f} s)", index + 1, schedule_.steps.size(), took_s,
                          planned.duration_s));
    if (on_step_) on_step_(index, true);
  }
  return outcome;
}

RunEngine::StepOutcome RunEngine::check_reading(const StageSnapshot& snapshot) {
  const auto& r = snapshot.reading;
  // The interlocks (envelope, rate, EB1 policy: docs/reliability.md) ran on the poller's thread
  // when this reading arrived; the safety thread is already putting the stage safe.
  if (safety_.trip()) return {false, ExitStatus::failed, safety_.trip_message()};
  for (auto* attachment : active_attachments_) attachment->on_stage_reading(r);
  report_progress(snapshot);
  return {true, ExitStatus::success, ""};
}

void RunEngine::start_ramp(double target_K, double rate_K_per_min) {
  // The controller knows one ramp (R1/L1); S (re)starts it. Re-sending S after a new limit is what
  // makes every controller generation leave a hold (reference/linkam-t95.md, "Field reports").
  ramp_target_K_ = target_K;
  ramp_rate_K_per_min_ = rate_K_per_min;
  stage_.set_rate_K_per_min(rate_K_per_min);
  stage_.set_limit_K(target_K);
  stage_.start();
}

RunEngine::StepOutcome RunEngine::hold_while_paused(control::RunControl& control, std::int64_t& paused_ns) {
  const std::int64_t paused_at_ns = clock_.mono_ns();
  paused_since_ns_ = paused_at_ns;
  // O holds the present temperature (status 0x50); frames stop with their step's pulse train.
  stage_.hold();
  for (auto* attachment : active_attachments_) attachment->end_step();
  const auto latest = poller_.latest();
  control.confirm_paused(fmt::format("step {}/{}: stage holds at {:.2f} K (T95 'O'){}", current_step_ + 1,
                                     schedule_.steps.size(), latest ? latest->reading.T_K : ramp_target_K_,
                                     active_attachments_.empty() ? "" : ", X-ray frames stopped"));
  while (control.pause_wanted()) {
    if (control.abort_requested()) break;
    if (safety_.trip()) return {false, ExitStatus::failed, safety_.trip_message()};
    if (auto fatal = poller_.fatal_error()) return {false, ExitStatus::failed, "stage lost: " + *fatal};
    const auto snapshot = poller_.wait_for_reading_after(last_sequence_, kReadingWait);
    if (!snapshot) continue;
    last_sequence_ = snapshot->sequence;
    if (auto verdict = check_reading(*snapshot); !verdict.completed) return verdict;
  }
  paused_ns = clock_.mono_ns() - paused_at_ns;
  paused_in_step_ns_ += paused_ns;
  paused_since_ns_ = -1;
  if (control.abort_requested()) return {false, ExitStatus::aborted, control.abort_reason()};
  start_ramp(ramp_target_K_, ramp_rate_K_per_min_);
  for (auto* attachment : active_attachments_) attachment->begin_step(*current_step_body_, current_step_);
  control.confirm_resumed(fmt::format("step {}/{}: stage ramps on to {:.2f} K at {:.2f} K/min{}", current_step_ + 1,
                                      schedule_.steps.size(), ramp_target_K_, ramp_rate_K_per_min_,
                                      active_attachments_.empty() ? "" : ", X-ray frames restart"));
  return {true, ExitStatus::success, ""};
}

RunEngine::StepOutcome RunEngine::go_to(double target_K, double rate_K_per_min, double timeout_s,
                                        control::RunControl& control) {
  const auto latest = poller_.latest();
  const bool heating = !latest || target_K >= latest->reading.T_K;
  const double tolerance_K = heating ? settings_.tolerance_heating_K : settings_.tolerance_cooling_K;
  start_ramp(target_K, rate_K_per_min);

  std::int64_t deadline_ns = clock_.mono_ns() + static_cast<std::int64_t>(timeout_s * 1e9);
  std::optional<std::int64_t> within_since_ns;
  while (true) {
    if (control.abort_requested()) return {false, ExitStatus::aborted, control.abort_reason()};
    if (safety_.trip()) return {false, ExitStatus::failed, safety_.trip_message()};
    if (control.pause_wanted()) {
      std::int64_t paused_ns = 0;
      if (auto held = hold_while_paused(control, paused_ns); !held.completed) return held;
      deadline_ns += paused_ns;  // the step's time limit does not run while the operator holds it
      within_since_ns.reset();
      continue;
    }
    if (auto fatal = poller_.fatal_error()) return {false, ExitStatus::failed, "stage lost: " + *fatal};
    const auto snapshot = poller_.wait_for_reading_after(last_sequence_, kReadingWait);
    if (!snapshot) continue;
    last_sequence_ = snapshot->sequence;
    if (auto verdict = check_reading(*snapshot); !verdict.completed) return verdict;
    const auto& r = snapshot->reading;
    if (std::abs(r.T_K - target_K) <= tolerance_K) {
      if (!within_since_ns) within_since_ns = r.t_mono_ns;
      if ((r.t_mono_ns - *within_since_ns) * 1e-9 >= settings_.settle_s) return {true, ExitStatus::success, ""};
    } else {
      within_since_ns.reset();
    }
    if (r.t_mono_ns > deadline_ns)
      return {false, ExitStatus::failed,
              fmt::format("stage did not reach {:.2f} K within {:.0f} s (T={:.2f} K, tolerance {:.1f} K)", target_K,
                          timeout_s, r.T_K, tolerance_K)};
  }
}

RunEngine::StepOutcome RunEngine::wait_for_s(double duration_s, control::RunControl& control) {
  std::int64_t end_ns = clock_.mono_ns() + static_cast<std::int64_t>(duration_s * 1e9);
  while (clock_.mono_ns() < end_ns) {
    if (control.abort_requested()) return {false, ExitStatus::aborted, control.abort_reason()};
    if (safety_.trip()) return {false, ExitStatus::failed, safety_.trip_message()};
    if (control.pause_wanted()) {
      std::int64_t paused_ns = 0;
      if (auto held = hold_while_paused(control, paused_ns); !held.completed) return held;
      end_ns += paused_ns;  // the schedule stands still while paused: the hold gets its full time after
      continue;
    }
    if (auto fatal = poller_.fatal_error()) return {false, ExitStatus::failed, "stage lost: " + *fatal};
    const auto snapshot = poller_.wait_for_reading_after(last_sequence_, kReadingWait);
    if (!snapshot) continue;
    last_sequence_ = snapshot->sequence;
    if (auto verdict = check_reading(*snapshot); !verdict.completed) return verdict;
  }
  return {true, ExitStatus::success, ""};
}

void RunEngine::report_progress(const StageSnapshot& snapshot) {
  if (!on_progress_ || current_step_ < 0) return;
  RunProgress p;
  p.step_index = current_step_;
  p.step_count = static_cast<int>(schedule_.steps.size());
  p.step_kind = schedule_.steps[static_cast<std::size_t>(current_step_)].kind();
  const auto& planned = plan_.steps[static_cast<std::size_t>(current_step_)];
  p.step_description = planned.description;
  const std::int64_t now_ns = clock_.mono_ns();
  const std::int64_t paused_ns = paused_in_step_ns_ + (paused_since_ns_ >= 0 ? now_ns - paused_since_ns_ : 0);
  const double in_step_s = (now_ns - step_start_mono_ns_ - paused_ns) * 1e-9;
  const double done_s = planned.start_s + std::min(in_step_s, planned.duration_s);
  p.run_fraction = plan_.total_s > 0 ? std::clamp(done_s / plan_.total_s, 0.0, 1.0) : 0.0;
  p.remaining_s = std::max(0.0, plan_.total_s - done_s);
  p.elapsed_s = (clock_.mono_ns() - run_start_mono_ns_) * 1e-9;
  p.T_K = snapshot.reading.T_K;
  p.setpoint_K = snapshot.reading.setpoint_K;
  p.rate_K_per_min = snapshot.reading.rate_K_per_min;
  p.stage_state = snapshot.reading.status;
  p.faults = faults_.load() + static_cast<int>(poller_.gaps_recorded());
  on_progress_(p);
}

}  // namespace glasslab::acquisition
