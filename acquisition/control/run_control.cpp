#include "acquisition/control/run_control.hpp"

#include <fmt/format.h>

namespace glasslab::acquisition::control {

std::string_view to_string(ControlAction action) {
  switch (action) {
    case ControlAction::pause: return "pause";
    case ControlAction::resume: return "resume";
    case ControlAction::abort: return "abort";
  }
  return "?";
}

std::optional<ControlAction> parse_action(std::string_view text) {
  if (text == "pause") return ControlAction::pause;
  if (text == "resume") return ControlAction::resume;
  if (text == "abort") return ControlAction::abort;
  return std::nullopt;
}

std::string ControlOrigin::text() const { return peer.empty() ? kind : kind + " " + peer; }

std::string_view to_string(ControlState state) {
  switch (state) {
    case ControlState::running: return "running";
    case ControlState::pause_requested: return "pause_requested";
    case ControlState::paused: return "paused";
    case ControlState::aborting: return "aborting";
  }
  return "?";
}

RunControl::RunControl(Recorder& recorder, const Clock& clock, const std::atomic<bool>* signal_abort)
    : recorder_(recorder), clock_(clock), signal_abort_(signal_abort) {}

void RunControl::log(EventLevel level, const std::string& kind, const std::string& message) {
  const std::int64_t now_ns = clock_.mono_ns();
  recorder_.record(Event{now_ns, clock_.utc_ns_at(now_ns), level, "operator", kind, message});
}

ControlDecision RunControl::decide_locked(ControlAction action, const ControlOrigin& origin) {
  const bool signalled = signal_abort_ && signal_abort_->load();
  if (state_ == ControlState::aborting || signalled) return {false, "the run is already being aborted"};
  switch (action) {
    case ControlAction::abort:
      state_ = ControlState::aborting;
      abort_origin_ = origin.text();
      abort_.store(true);
      return {true, "abort accepted: the run stops now and leaves every instrument in its safe state"};
    case ControlAction::pause:
      if (state_ == ControlState::pause_requested) return {false, "a pause is already requested"};
      if (state_ == ControlState::paused && pause_wanted_) return {false, "the run is already paused"};
      pause_wanted_.store(true);
      if (state_ == ControlState::paused) return {true, "the run stays paused (the resume had not taken effect yet)"};
      state_ = ControlState::pause_requested;
      return {true, "pause accepted: " + (pause_note_.empty() ? std::string("the run holds at its next safe point")
                                                              : pause_note_)};
    case ControlAction::resume:
      if (state_ == ControlState::running) return {false, "the run is not paused"};
      if (state_ == ControlState::paused && !pause_wanted_) return {false, "a resume is already requested"};
      pause_wanted_.store(false);
      if (state_ == ControlState::pause_requested) {
        state_ = ControlState::running;
        return {true, "the pause request is withdrawn before it took effect"};
      }
      return {true, "resume accepted: the run continues from where it holds"};
  }
  return {false, "unknown action"};
}

ControlDecision RunControl::request(ControlAction action, const ControlOrigin& origin) {
  ControlDecision decision;
  {
    std::lock_guard lock(mutex_);
    decision = decide_locked(action, origin);
  }
  changed_.notify_all();
  log(decision.accepted ? (action == ControlAction::abort ? EventLevel::warning : EventLevel::info)
                        : EventLevel::warning,
      "control_request",
      fmt::format("{} requested from {}: {}: {}", to_string(action), origin.text(),
                  decision.accepted ? "accepted" : "refused", decision.outcome));
  return decision;
}

void RunControl::note_refused_attempt(ControlAction action, const ControlOrigin& origin, const std::string& why) {
  log(EventLevel::warning, "control_request",
      fmt::format("{} requested from {}: refused: {}", to_string(action), origin.text(), why));
}

bool RunControl::abort_requested() const {
  return abort_.load() || (signal_abort_ && signal_abort_->load());
}

std::string RunControl::abort_reason() const {
  std::lock_guard lock(mutex_);
  if (abort_.load()) return fmt::format("aborted by operator ({})", abort_origin_);
  return "aborted by operator (signal)";
}

bool RunControl::pause_wanted() const { return pause_wanted_.load() && !abort_requested(); }

ControlState RunControl::state() const {
  if (signal_abort_ && signal_abort_->load()) return ControlState::aborting;
  std::lock_guard lock(mutex_);
  return state_;
}

void RunControl::confirm_paused(const std::string& what_holds) {
  {
    std::lock_guard lock(mutex_);
    if (state_ == ControlState::aborting) return;
    state_ = ControlState::paused;
    paused_since_ns_ = clock_.mono_ns();
  }
  changed_.notify_all();
  log(EventLevel::info, "paused", what_holds);
}

void RunControl::confirm_resumed(const std::string& what_continues) {
  double paused_for_s = 0;
  {
    std::lock_guard lock(mutex_);
    if (paused_since_ns_ >= 0) {
      const std::int64_t held_ns = clock_.mono_ns() - paused_since_ns_;
      paused_total_ns_ += held_ns;
      paused_for_s = static_cast<double>(held_ns) * 1e-9;
      paused_since_ns_ = -1;
    }
    if (state_ != ControlState::aborting) state_ = ControlState::running;
  }
  changed_.notify_all();
  log(EventLevel::info, "resumed", fmt::format("after {:.1f} s paused: {}", paused_for_s, what_continues));
}

void RunControl::wait_for_change(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  const ControlState before = state_;
  const bool wanted_before = pause_wanted_.load();
  changed_.wait_for(lock, timeout, [&] {
    return state_ != before || pause_wanted_.load() != wanted_before || abort_requested();
  });
}

void RunControl::set_pause_note(std::string note) {
  std::lock_guard lock(mutex_);
  pause_note_ = std::move(note);
}

std::string RunControl::pause_note() const {
  std::lock_guard lock(mutex_);
  return pause_note_;
}

double RunControl::paused_s() const {
  std::lock_guard lock(mutex_);
  std::int64_t total = paused_total_ns_;
  if (paused_since_ns_ >= 0) total += clock_.mono_ns() - paused_since_ns_;
  return static_cast<double>(total) * 1e-9;
}

}  // namespace glasslab::acquisition::control
