#pragma once
// Polls the stage on the experiment clock at a fixed rate and records every reading.
//
// Polls are scheduled at absolute deadlines (start + k·period), not "sleep period after the last
// reply", so a slow reply does not shift every later reading (bench/run: p99 spacing error at
// 10 Hz). Each reading is stamped with the time its T request was sent. A poll that fails after the
// driver's own recovery is not retried here: the interval without readings is recorded as a gap
// event, so every missing reading is accounted for and none is duplicated.
//
// What is a gap (docs/reliability.md, "Gaps"): an interval in which replies the stage sent may not
// have become readings. The driver counts every disturbance of the line (a comms fault and its
// recovery, a safe-state handshake: StageStatus::line_disturbances); when the count moved between
// two readings, the interval between them is a `gap` event, however short. A poll that was merely
// late (the host busy, or a dry run whose speed asks more polls than a pty round trip allows) loses
// nothing on the line: the stage answers only what is asked. Those slots are summarised in one
// `poll_rate` event per minute of wall time, and a stall of more than a wall second is a
// `poll_late` event of its own, so the morning shows real losses without a swarm of short gaps.
#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "acquisition/recorder.hpp"
#include "core/clock.hpp"
#include "drivers/linkam/device.hpp"

namespace glasslab::acquisition {

struct StageSnapshot {
  StageReading reading;
  std::int64_t received_mono_ns = 0;
  std::uint64_t sequence = 0;  ///< increments with every valid reading
};

class StagePoller {
public:
  StagePoller(linkam::LinkamDevice& stage, Recorder& recorder, const Clock& clock, double poll_hz);
  ~StagePoller();  // stops the thread; never throws

  void start();
  void stop() noexcept;

  /// The newest valid reading, if any arrived yet.
  std::optional<StageSnapshot> latest() const;
  /// Blocks until a reading newer than `after_sequence` arrives or `wall_timeout` passes.
  std::optional<StageSnapshot> wait_for_reading_after(std::uint64_t after_sequence,
                                                      std::chrono::milliseconds wall_timeout) const;
  /// Set when polling failed for good (driver gave up reconnecting); the reason says why.
  std::optional<std::string> fatal_error() const;
  /// The schedule step the engine is executing; stamped into each reading.
  void set_step_index(int step_index) { step_index_.store(step_index); }
  /// Called on the polling thread with every valid reading, right after it is recorded (the
  /// safety monitor's interlocks and watchdog). Set before start(); must not block on I/O.
  void set_reading_observer(std::function<void(const StageReading&)> observer) { observer_ = std::move(observer); }
  /// Called on the polling thread before the first reading after a line disturbance (a gap).
  void set_disturbance_observer(std::function<void()> observer) { on_disturbance_ = std::move(observer); }

  std::uint64_t readings_recorded() const { return readings_.load(); }
  std::uint64_t gaps_recorded() const { return gaps_.load(); }
  std::uint64_t slots_skipped() const { return slots_skipped_total_.load(); }

private:
  /// Poll slots skipped since the last `poll_rate` event, and how long the replies took.
  struct RateWindow {
    std::chrono::steady_clock::time_point wall_start = std::chrono::steady_clock::now();
    std::int64_t from_mono_ns = 0;
    std::uint64_t polls = 0, skipped = 0;
    double round_trip_wall_s = 0;  ///< summed over the window's polls
  };

  void poll_loop();
  void wait_until(std::int64_t deadline_mono_ns) const;
  void record_event_at(std::int64_t t_mono_ns, EventLevel level, std::string kind, std::string message);
  void record_gap(std::int64_t from_mono_ns, std::int64_t to_mono_ns, const std::string& why);
  /// Between the previous reading and this one: a gap (the line was disturbed), a late poll, or nothing.
  void account_interval(std::int64_t previous_ns, std::uint64_t previous_disturbances, std::int64_t stamp_ns,
                        std::uint64_t disturbances);
  void record_rate_summary(std::int64_t now_mono_ns);

  linkam::LinkamDevice& stage_;
  Recorder& recorder_;
  const Clock& clock_;
  std::int64_t period_ns_;
  std::atomic<int> step_index_{-1};
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> readings_{0};
  std::atomic<std::uint64_t> gaps_{0};
  std::atomic<std::uint64_t> slots_skipped_total_{0};
  RateWindow rate_;  // poller thread only
  mutable std::mutex mutex_;
  mutable std::condition_variable new_reading_;
  std::optional<StageSnapshot> latest_;
  std::optional<std::string> fatal_error_;
  std::function<void(const StageReading&)> observer_;
  std::function<void()> on_disturbance_;
  std::thread thread_;
};

/// Converts a driver status into the record the store keeps.
StageReading to_stage_reading(const linkam::StageStatus& status, double setpoint_K, double rate_K_per_min,
                              std::int64_t t_mono_ns, std::int64_t t_utc_ns, int step_index);

}  // namespace glasslab::acquisition
