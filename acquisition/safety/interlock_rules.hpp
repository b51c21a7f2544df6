#pragma once
// The stage's interlock rules, evaluated on every valid reading (docs/reliability.md,
// "Interlocks"). Pure: readings in, verdicts out; no threads, no I/O, no clock. The
// StageSafetyMonitor runs them on the poller's thread and acts on a trip.
//
// A reading trips the interlock when
//   - EB1 bit1 (open circuit: stage unplugged or sensor open; the temperature is not a reading),
//   - EB1 bit2 (power surge: the controller's overload protection),
//   - EB1 bit0 (cooling rate cannot be held) and the policy says stop_run (default: warn),
//   - T above envelope max_K + over_temperature_margin_K, or below min_K − margin,
//   - |measured rate| above envelope max_rate_K_per_min + rate_margin_K_per_min, the rate being
//     the repeated-median slope of the readings of the last rate_window_s (reaching back to six
//     readings when it holds fewer): a slope over seconds, not between two readings (at 10 Hz the
//     0.1 K resolution alone would be 60 K/min between two), and a median, so a reading that
//     stands for a later moment (a host stall between its stamp and its reply in a fast dry run)
//     cannot fake a rate, while a real runaway shows once half the window has seen it: within
//     rate_window_s/2 + 2 poll periods (docs/reliability.md, "Stage interlocks").
// EB1 bits 3..5 ("no exit 300", "both stages", RS-232 link error) are recorded by the driver and
// do not trip: they say nothing about the sample's temperature.
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "acquisition/records.hpp"
#include "drivers/linkam/device.hpp"
#include "schedules/schedule.hpp"

namespace glasslab::acquisition::safety {

/// What EB1 bit0 ("cooling rate too fast", the stage cannot hold the programmed cooling) does.
enum class CoolingRatePolicy {
  warn,      ///< an "interlock_warning" event once per episode; the step takes longer (its timeout still applies)
  stop_run,  ///< trips: the run stops and the stage goes to the configured safe state
};
std::string_view to_string(CoolingRatePolicy policy);

struct StageSafetyLimits {
  double min_K = 77.15;                      ///< the stage envelope ([instruments.stage.envelope])
  double max_K = 873.15;
  double max_rate_K_per_min = 150.0;
  double over_temperature_margin_K = 5.0;    ///< readings may exceed the envelope by this before tripping
  double rate_margin_K_per_min = 10.0;       ///< the measured rate may exceed the envelope by this
  double rate_window_s = 5.0;                ///< experiment seconds the measured rate is fitted over
  double watchdog_s = 10.0;                  ///< wall seconds without a valid reading (StageSafetyMonitor)
  CoolingRatePolicy on_cooling_rate_error = CoolingRatePolicy::warn;
  linkam::SafeState safe_state = linkam::SafeState::stop;  ///< the run's configured safe state
};

/// The limits a schedule's [instruments.stage] sets (envelope, margins, window, watchdog, EB1 bit0
/// policy); safe_state stays stop: the engine sets the run's own.
StageSafetyLimits limits_from(const schedules::StageConfig& stage);

enum class InterlockKind { over_temperature, under_temperature, over_rate, open_circuit, power_surge, cooling_rate, watchdog };
std::string_view to_string(InterlockKind kind);

/// One interlock trip: what, the value against its limit, and the safe state it demands.
struct InterlockTrip {
  InterlockKind kind = InterlockKind::watchdog;
  double value = 0;
  double limit = 0;
  std::string unit;                ///< "K", "K/min", "s", "EB1"
  std::string detail;              ///< how the limit is made up, for people
  linkam::SafeState action = linkam::SafeState::stop;
  std::int64_t t_mono_ns = 0;      ///< of the reading (or watchdog check) that tripped
  double T_K = 0;                  ///< last valid temperature seen (NaN if none)
};

/// One line for the event table and the run's exit reason, naming the device, value and limit:
/// "over_temperature on Linkam T95 serial:/dev/pts/4: T 881.40 K > limit 878.15 K (envelope max_K
/// 873.15 K + margin 5 K); safe state stop (E)".
std::string describe(const InterlockTrip& trip, const std::string& device);

struct Verdict {
  std::optional<InterlockTrip> trip;
  std::optional<std::string> warning;  ///< e.g. the cooling-rate warning, once per episode
};

class InterlockRules {
public:
  explicit InterlockRules(StageSafetyLimits limits);

  /// Evaluates one valid reading (t_mono_ns increasing). A trip is reported every time its
  /// condition holds; latching is the monitor's job.
  Verdict evaluate(const StageReading& reading);
  /// The repeated-median rate over the window (K/min), once the window holds at least three
  /// readings spanning half of rate_window_s. The window is the last rate_window_s, reaching back
  /// (at most twice as far) to hold six readings.
  std::optional<double> measured_rate_K_per_min() const;
  /// Forgets the readings of the rate window: after a disturbance of the line a stale reply may
  /// stand for a fresh one (docs/reliability.md, "Gaps"), so no rate is fitted across it.
  void restart_rate_window() { window_.clear(); }
  const StageSafetyLimits& limits() const { return limits_; }

  /// The safe state an interlock of this kind demands. Over- and under-temperature, rate, open
  /// circuit and power surge always stop (E: heater and pump off); holding an overheating or
  /// unreadable stage is not safe. A watchdog or cooling-rate trip uses the configured state.
  linkam::SafeState action_for(InterlockKind kind) const;

private:
  std::optional<InterlockTrip> check_error_bits(const StageReading& r, Verdict& verdict);
  std::optional<InterlockTrip> check_temperature(const StageReading& r) const;
  std::optional<InterlockTrip> check_rate(const StageReading& r);
  InterlockTrip make_trip(InterlockKind kind, const StageReading& r, double value, double limit, std::string unit,
                          std::string detail) const;

  struct Point {
    double t_s;
    double T_K;
  };
  StageSafetyLimits limits_;
  std::deque<Point> window_;
  bool cooling_rate_episode_ = false;
};

}  // namespace glasslab::acquisition::safety
