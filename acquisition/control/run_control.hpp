#pragma once
// The operator's hold on a running experiment (issue 6, docs/dashboard.md "Control"): pause,
// resume and abort, whoever asks (terminal keys, `glasslab ctl`, the dashboard, SIGINT/SIGTERM).
//
// RunControl only decides and remembers; the parts that drive instruments apply the decision at
// their next safe point: the stage engine between two readings (the stage holds its present
// temperature, X-ray frames stop), the DMA queue between sweeps (the rheometer service has no hold
// of its own). Every request is logged as an Event naming its origin, accepted or refused.
//
// SIGINT/SIGTERM keep their old path: the handler sets a lock-free std::atomic<bool> (async-signal
// safe) that RunControl reads, so a signal aborts exactly as before, with the reason
// "aborted by operator (signal)".
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "acquisition/recorder.hpp"
#include "core/clock.hpp"

namespace glasslab::acquisition::control {

enum class ControlAction { pause, resume, abort };
std::string_view to_string(ControlAction action);
/// "pause", "resume", "abort"; nullopt for anything else.
std::optional<ControlAction> parse_action(std::string_view text);

/// Where a request came from, for the event log: "terminal", "ctl", "dashboard", "signal".
struct ControlOrigin {
  std::string kind;
  std::string peer;  ///< "127.0.0.1:51234" (dashboard), "pid 4242 user lab" (ctl); may be empty
  std::string text() const;  ///< "dashboard 127.0.0.1:51234"
};

/// running -> pause_requested -> paused -> running ...; aborting is final.
enum class ControlState { running, pause_requested, paused, aborting };
std::string_view to_string(ControlState state);

struct ControlDecision {
  bool accepted = false;
  std::string outcome;  ///< for people: what happens now, or why not
};

class RunControl {
public:
  /// `signal_abort`: the flag a SIGINT/SIGTERM handler sets (may be null). Events go to `recorder`.
  RunControl(Recorder& recorder, const Clock& clock, const std::atomic<bool>* signal_abort = nullptr);

  /// Any thread. Decides against the present state, logs the request with its origin, wakes waiters.
  ControlDecision request(ControlAction action, const ControlOrigin& origin);

  /// Logs an attempt another process already refused (no or wrong token, ...), so that every
  /// attempt on a running run shows in its events.
  void note_refused_attempt(ControlAction action, const ControlOrigin& origin, const std::string& why);

  bool abort_requested() const;
  /// "aborted by operator (signal)" or "aborted by operator (dashboard 127.0.0.1:51234)".
  std::string abort_reason() const;
  /// A pause was asked for and not yet taken back by a resume (requested or already applied).
  bool pause_wanted() const;
  ControlState state() const;

  /// The running part confirms it holds now (at its safe point) and logs what holds.
  void confirm_paused(const std::string& what_holds);
  /// The running part confirms it goes on; logs how long the pause lasted.
  void confirm_resumed(const std::string& what_continues);
  /// Sleeps (wall time) until a request changes the state or `timeout` passes; for pause loops.
  void wait_for_change(std::chrono::milliseconds timeout) const;

  /// What a pause means for this run, told to the operator when one is requested, e.g.
  /// "the DMA queue pauses between sweeps: the sweep running now completes first".
  void set_pause_note(std::string note);
  std::string pause_note() const;
  /// Experiment seconds spent paused so far (finished pauses plus the one in progress).
  double paused_s() const;

private:
  void log(EventLevel level, const std::string& kind, const std::string& message);
  ControlDecision decide_locked(ControlAction action, const ControlOrigin& origin);

  Recorder& recorder_;
  const Clock& clock_;
  const std::atomic<bool>* signal_abort_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  ControlState state_ = ControlState::running;
  std::atomic<bool> abort_{false};
  std::atomic<bool> pause_wanted_{false};
  std::string abort_origin_;
  std::string pause_note_;
  std::int64_t paused_since_ns_ = -1;
  std::int64_t paused_total_ns_ = 0;
};

}  // namespace glasslab::acquisition::control
