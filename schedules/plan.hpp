#pragma once
// The plan: what a schedule will do and how long it should take, computed from its numbers alone
// (nominal: no thermal lag, no settle times, no instrument overheads). `glasslab check` prints it;
// the engine can use it for progress and the expected end time.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "schedules/schedule.hpp"

namespace glasslab::schedules {

struct PlanStep {
  std::size_t index = 0;     ///< into Schedule::steps (0-based; printed as index + 1)
  std::string kind;
  std::string label;
  std::string description;   ///< "ramp 93.15 K → 873.15 K at 10 K/min"
  double start_s = 0;        ///< from the start of the run
  double approach_s = 0;     ///< part of duration_s spent getting to the step's start temperature
  double duration_s = 0;     ///< expected, including approach_s
  double start_K = 0;        ///< instrument temperature when the step begins
  double end_K = 0;          ///< when it ends
  std::optional<int> expected_frames;      ///< xrd frames, when the step carries an acquisition
  std::optional<int> expected_dma_points;  ///< DMA points (one per frequency per sweep)
  bool checkpoint = false;
  bool on_rheometer = false; ///< temperatures are the rheometer oven's, not the stage's
};

struct Plan {
  std::string title;
  std::string sample;        ///< "name (state)"
  std::vector<PlanStep> steps;
  double total_s = 0;
  int total_frames = 0;
  int total_dma_points = 0;
};

/// Where the stage and the oven are assumed to start when nothing measured says otherwise.
inline constexpr double kRoomTemperature_K = 295.15;

/// Walks the schedule tracking the stage and the rheometer oven separately, from
/// initial_stage_K and initial_oven_K. Ramps: |ΔT|/rate. Holds: |ΔT|/approach rate + duration. DMA ramps: oven approach to
/// from_K at the rheometer's approach rate + |ΔT|/rate. DMA isothermal: per temperature approach +
/// soak + Σ_f (settling + (delay + acquisition cycles)/f).
/// `first_step` > 0 plans a resumed run: the temperatures given are the instruments' at that step's
/// start, and its approach is planned from them; the steps before it keep their places on the time
/// line, planned from room temperature.
Plan make_plan(const Schedule& schedule, double initial_stage_K = kRoomTemperature_K,
               double initial_oven_K = kRoomTemperature_K, std::size_t first_step = 0);

/// A table with units, one line per step, and the total as h:mm:ss.
std::string format_plan(const Plan& plan);

/// 5680.4 -> "1:34:40" (rounded to the second; hours are not wrapped at 24); from 1e12 s on
/// (31,700 years) "1e+300 s". Counts in a plan saturate at INT_MAX.
std::string format_hms(double seconds);

/// The rheometer service settles this long at each frequency change, before a point's cycles
/// (docs/rheometer-protocol.md, "Timing"; the simulated DHR-3 does the same).
inline constexpr double kRheometerSettlePerPoint_s = 0.5;

/// Seconds for one sweep over the frequencies: Σ (settling + (delay + acquisition cycles) / f).
double sweep_duration_s(const std::vector<double>& frequencies_Hz, int delay_cycles, int acquisition_cycles);

/// Seconds to move |delta_K| at rate_K_per_min (0 for a rate <= 0): approaches and ramps alike.
double travel_time_s(double delta_K, double rate_K_per_min);

/// Whole frames of exposure_s, one every period_s, that fit in window_s (capped by frame_count).
int frames_in_window(const XrdAcquisition& xrd, double window_s);

}  // namespace glasslab::schedules
