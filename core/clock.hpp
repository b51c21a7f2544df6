#pragma once
// One clock for the engine, the drivers and the simulators (docs/architecture.md, "Time").
//
// Experiment time runs `speed` times faster than the host's steady clock, so a dry run at
// speed 1000 produces the same records as a real run, only sooner. At speed 1 the
// experiment's monotonic time *is* the host's CLOCK_MONOTONIC, and UTC is derived from it
// (UTC at construction + elapsed monotonic time), so a jump of the wall clock during a run
// never makes recorded times go backwards.
#include <chrono>
#include <cstdint>
#include <string>

namespace glasslab {

class Clock {
public:
  virtual ~Clock() = default;

  /// Experiment-time monotonic nanoseconds (host CLOCK_MONOTONIC at speed 1).
  virtual std::int64_t mono_ns() const = 0;
  /// UTC nanoseconds since the Unix epoch of a monotonic time point of this clock.
  virtual std::int64_t utc_ns_at(std::int64_t mono_ns) const = 0;
  /// Blocks the calling thread until experiment time reaches `mono_ns`.
  virtual void sleep_until_mono_ns(std::int64_t mono_ns) const = 0;
  /// How many experiment seconds pass per wall second.
  virtual double speed() const = 0;

  double mono_s() const { return static_cast<double>(mono_ns()) * 1e-9; }
  std::int64_t utc_ns() const { return utc_ns_at(mono_ns()); }
  void sleep_for_s(double experiment_seconds) const;
  /// Converts an experiment duration into the wall duration it takes at this speed.
  std::chrono::nanoseconds wall_duration(double experiment_seconds) const;
};

/// The real clock: host steady clock scaled by a speed factor (1 = real time).
class ScaledSteadyClock final : public Clock {
public:
  explicit ScaledSteadyClock(double speed = 1.0);
  /// A clock whose experiment time starts at a given host steady time, so that separate processes
  /// (the engine and the simulators it starts, via --clock-origin-ns) share one time axis.
  ScaledSteadyClock(double speed, std::int64_t steady_origin_ns);
  std::int64_t steady_origin_ns() const { return steady_origin_ns_; }
  std::int64_t mono_ns() const override;
  std::int64_t utc_ns_at(std::int64_t mono_ns) const override;
  void sleep_until_mono_ns(std::int64_t mono_ns) const override;
  double speed() const override { return speed_; }

private:
  double speed_;
  std::int64_t steady_origin_ns_;  // host steady time at construction
  std::int64_t utc_origin_ns_;     // UTC at construction
};

/// A clock that moves only when told: for tests of timing logic without sleeping.
/// sleep_until_mono_ns() advances the clock to the deadline instantly.
class ManualClock final : public Clock {
public:
  explicit ManualClock(std::int64_t start_mono_ns = 0, std::int64_t utc_origin_ns = 1'700'000'000'000'000'000);
  std::int64_t mono_ns() const override;
  std::int64_t utc_ns_at(std::int64_t mono_ns) const override;
  void sleep_until_mono_ns(std::int64_t mono_ns) const override;
  double speed() const override { return 1.0; }
  void advance_s(double seconds);

private:
  mutable std::int64_t now_ns_;
  std::int64_t start_ns_;
  std::int64_t utc_origin_ns_;
};

/// ISO-8601 UTC with microseconds, e.g. 2026-11-25T14:47:08.123456Z.
std::string format_utc(std::int64_t utc_ns);

}  // namespace glasslab
