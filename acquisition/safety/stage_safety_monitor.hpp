#pragma once
// The stage's interlocks and watchdog, on a thread of their own (docs/reliability.md).
//
// Who does what:
//   - the poller's thread hands every valid reading to on_reading(): the rules run there (pure,
//     no I/O), the watchdog is fed, and a trip is latched and the safety thread woken;
//   - the safety thread (start()) checks the watchdog every tick and is the one that sends the
//     safe state after a trip, retrying with back-off until the stage confirms it;
//   - the engine's loop only asks trip() and ends the run; its exit path leaves the stage in
//     exit_safe_state().
// So neither a stuck engine loop nor a stuck driver call can keep the stage from its safe state:
// the safety thread waits for the line at most line_wait per attempt (LinkamDevice abandons a
// recovery in progress for it) and tries again rather than hanging.
//
// The watchdog counts wall seconds, not experiment seconds: it guards the serial link and the
// host, whose failure modes (reply timeouts, reconnect back-off, a stuck call) run on wall time.
// In the lab (speed 1) the two are the same; in a dry run at --speed x the simulated stage moves
// x times further while the watchdog waits. The rules run on the readings' experiment time.
//
// The first trip of a run latches: later conditions are not trips of their own.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "acquisition/recorder.hpp"
#include "acquisition/safety/interlock_rules.hpp"
#include "core/clock.hpp"

namespace glasslab::acquisition::safety {

class StageSafetyMonitor {
public:
  /// Puts the stage in a safe state, waiting at most `line_wait` for the line; true when the
  /// stage confirmed it (in a run: LinkamDevice::enter_safe_state).
  using SafeStateAction = std::function<bool(linkam::SafeState state, std::chrono::milliseconds line_wait)>;

  StageSafetyMonitor(StageSafetyLimits limits, std::string device, Recorder& recorder, const Clock& clock,
                     SafeStateAction enter_safe_state);
  ~StageSafetyMonitor();  ///< stops the thread; never throws
  StageSafetyMonitor(const StageSafetyMonitor&) = delete;
  StageSafetyMonitor& operator=(const StageSafetyMonitor&) = delete;

  /// Arms the watchdog (now counts as the last valid reading) and starts the safety thread.
  void start();
  void stop() noexcept;
  /// Arms the watchdog without a thread: tests drive check_watchdog() and act_on_trip() themselves.
  void arm();

  /// Poller thread, for every valid reading: runs the rules, feeds the watchdog. Never blocks on I/O.
  void on_reading(const StageReading& reading);
  /// Poller thread, before the first reading after a line disturbance: the rate fit restarts.
  void on_line_disturbed() { rules_.restart_rate_window(); }
  /// Trips the watchdog if no valid reading arrived for watchdog_s of wall time (the thread's tick).
  void check_watchdog();
  /// Sends the safe state once if a trip waits for it and its retry time has come (the thread's tick).
  void act_on_trip();

  /// The first trip of the run, if any (latched).
  std::optional<InterlockTrip> trip() const;
  /// describe(trip) for the run's exit reason; empty without a trip.
  std::string trip_message() const;
  bool safe_state_confirmed() const;
  /// Where the engine's exit path must leave the stage: the trip's safe state if there was one
  /// (an overheating stage is stopped even when the run's safe state is hold), else `configured`.
  linkam::SafeState exit_safe_state(linkam::SafeState configured) const;

  /// Wall time between two safe-state attempts that failed: doubles from 1 s up to 30 s.
  static constexpr std::chrono::milliseconds kFirstRetry{1000};
  static constexpr std::chrono::milliseconds kMaxRetry{30000};
  /// How long one attempt waits for a transaction of another thread before it gives up.
  static constexpr std::chrono::milliseconds kLineWait{3000};

private:
  void run_thread();
  void latch(InterlockTrip trip);
  void record_event(EventLevel level, const std::string& kind, const std::string& message);
  double wall_s_since(std::int64_t mono_ns) const;

  InterlockRules rules_;  // poller thread only
  const StageSafetyLimits limits_;
  const std::string device_;
  Recorder& recorder_;
  const Clock& clock_;
  SafeStateAction enter_safe_state_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool armed_ = false;
  bool stopping_ = false;
  std::int64_t last_valid_mono_ns_ = 0;  // arrival time of the last valid reading
  double last_valid_T_K_;
  std::optional<InterlockTrip> trip_;
  bool confirmed_ = false;
  int attempts_ = 0;
  std::int64_t next_attempt_mono_ns_ = 0;
  std::chrono::milliseconds retry_ = kFirstRetry;
  std::thread thread_;
};

}  // namespace glasslab::acquisition::safety
