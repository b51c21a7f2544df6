#pragma once
// A periodic trigger train paced by the engine's clock (core/clock.hpp). Deadlines are absolute
// (start + i * period), so a late wake-up does not push every later pulse back; on a ManualClock
// sleep_until_mono_ns() advances time instantly, so tests of the pacing need no sleeping.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <vector>

#include "core/clock.hpp"
#include "drivers/trigger/trigger_box.hpp"

namespace glasslab::trigger {

struct TrainSpec {
  std::int64_t start_mono_ns = 0;          ///< deadline of pulse 0
  std::int64_t period_ns = 12'000'000'000; ///< 12 s frames (the paper's setting)
  int count = 1;
  std::chrono::microseconds width{20};
};

struct TrainPulse {
  int index = 0;
  std::int64_t scheduled_mono_ns = 0;
  PulseReport report;
};

/// Deadline of pulse `index` (absolute, never accumulated).
std::int64_t pulse_deadline_mono_ns(const TrainSpec& spec, int index);

/// Sends spec.count pulses, sleeping on `clock` until each deadline, and appends one TrainPulse
/// per pulse to `out` as it goes, so when the box vanishes mid-train (DisconnectedError
/// propagates) the pulses already sent are still there. Stops early when `stop` becomes true.
void run_pulse_train(TriggerBox& box, const Clock& clock, const TrainSpec& spec, std::vector<TrainPulse>& out,
                     const std::atomic<bool>* stop = nullptr);

}  // namespace glasslab::trigger
