#pragma once
// DMA sweeps on the rheometer service (docs/rheometer-protocol.md) for the schedule steps
// `dma_ramp` and `dma_isothermal` (schedules/schedule.hpp): configure, start, poll DATA? at a
// steady cadence of experiment time, convert every point into a DmaPoint (host monotonic time and
// UTC from the run's Clock) for the Recorder, and decide how the sweep ended. The rheometer is
// left safe (ABORT) on every exit, whatever happened.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "acquisition/recorder.hpp"
#include "core/clock.hpp"
#include "drivers/rheometer/client.hpp"
#include "schedules/schedule.hpp"

namespace glasslab::acquisition::dma {

/// One sweep to run: the instrument configuration plus where it sits in the run.
struct SweepSpec {
  std::string name;                          ///< e.g. "step 3 dma_ramp (bending 0.05-15 Hz)"
  rheometer::SweepConfiguration configuration;
  int step_index = -1;
  std::string sample_label;  ///< the bar measured; a change of (label, state) loads a fresh sample
  std::string sample_state;  ///< schedule state (as_cast, hpt_...); empty: as before
};

/// Fixture geometry when the schedule does not give one: a 20×4×1 mm bar in torsion, the same
/// bar on a 15 mm three-point-bending span.
rheometer::Geometry default_geometry(schedules::DmaMode mode);
SweepSpec sweep_from_step(const schedules::DmaRampStep& step, int step_index, std::string name = {});
SweepSpec sweep_from_step(const schedules::DmaIsothermalStep& step, int step_index, std::string name = {});
/// The sweeps of a schedule in step order, with its [instruments.rheometer] oven approach rate, so
/// that the instrument approaches as the plan counts. A step without its own sample label or
/// state measures the schedule's [sample]; a step's label names its sweep.
std::vector<SweepSpec> sweeps_from_schedule(const schedules::Schedule& schedule);
/// Experiment seconds the instrument needs for the configuration when its oven is at oven_K at
/// START (docs/rheometer-protocol.md, "Timing"): the approach to the first temperature, then the
/// program, plus one frequency sweep for the point in progress when a ramp ends.
double expected_duration_s(const rheometer::SweepConfiguration& configuration, double oven_K);

struct SweepOptions {
  double poll_interval_s = 5.0;        ///< experiment seconds between DATA? polls
  double timeout_factor = 1.5;         ///< give up after expected × factor + margin
  double timeout_margin_s = 600.0;
  /// Lost sample: storage modulus below this fraction of the sweep's highest, for this many
  /// points in a row. The α relaxation leaves ≈2.5 % of the modulus, a lost sample ≈1e-5.
  double collapse_fraction = 1e-3;
  int collapse_points = 3;
};

enum class SweepStatus { completed, failed, aborted };
std::string_view to_string(SweepStatus status);

struct SweepOutcome {
  std::string name;
  int step_index = -1;
  SweepStatus status = SweepStatus::completed;
  std::string failure_kind;  ///< "", "instrument_error", "connection_lost", "sample_lost", "timeout", "protocol", "refused"
  std::string reason;        ///< for people: names the device and the value
  std::int64_t points = 0;
  double duration_s = 0;     ///< experiment seconds
  int reconnects = 0;
};

class DmaSweepRunner {
public:
  DmaSweepRunner(rheometer::RheometerClient& client, const Clock& clock, Recorder& recorder, SweepOptions options = {});

  /// Runs one sweep to its end. Never throws for instrument or connection trouble: that is the
  /// outcome (and an Event). `abort_requested` is polled at the cadence (operator stop).
  SweepOutcome run(const SweepSpec& spec, const std::function<bool()>& abort_requested = {});

private:
  void event(EventLevel level, const std::string& kind, const std::string& message);
  void record_points(const SweepSpec& spec, const std::vector<rheometer::DataPoint>& points, std::int64_t start_mono_ns,
                     SweepOutcome& outcome);
  bool sample_collapsed(const std::vector<rheometer::DataPoint>& points);
  double announce(const SweepSpec& spec);
  void poll_until_finished(const SweepSpec& spec, double expected_s, SweepOutcome& outcome,
                           const std::function<bool()>& abort_requested);
  void leave_safe(const SweepSpec& spec) noexcept;

  rheometer::RheometerClient& client_;
  const Clock& clock_;
  Recorder& recorder_;
  SweepOptions options_;
  double highest_storage_Pa_ = 0;
  int collapsed_in_a_row_ = 0;
};

}  // namespace glasslab::acquisition::dma
