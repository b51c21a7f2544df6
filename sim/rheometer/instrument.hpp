#pragma once
// The simulated DHR-3 as its command set sees it (docs/rheometer-protocol.md): configuration,
// the run program (continuous ramp or isothermal steps with frequencies applied in turn), the
// points it measures, the error queue and the fault switches. Independent of drivers/: this file
// implements the instrument's side of the protocol on its own.
//
// The oven is one temperature that moves only at a rate: a run first takes it from wherever the
// last run left it to the program's first temperature at the APPROACH rate (no points meanwhile),
// and STEPS move between temperatures at that rate too. Between runs the oven holds its
// temperature; *RST, SAMPLE and ABORT do not move it.
//
// Time: experiment time from a core Clock (ScaledSteadyClock(speed) in the real program). Points
// are produced lazily: every command first advances the run to the clock's present, so the
// simulator needs no timer thread and runs at any speed.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "sim/rheometer/relaxation_model.hpp"

namespace glasslab::sim::rheometer {

enum class FaultKind { drop, stall, instrument_error, lose_sample };

/// A fault that fires when the running run produces point `at_index`.
struct PendingFault {
  FaultKind kind = FaultKind::drop;
  std::int64_t at_index = 0;
  double stall_wall_s = 0;  ///< for stall
  int error_code = 301;     ///< for instrument_error
  std::int64_t run_number = 0;  ///< 0: the first run that reaches at_index; else only that run
};

struct SimPoint {
  std::int64_t index = 0;
  double time_s = 0;
  double temperature_K = 0;
  double frequency_Hz = 0;
  double storage_Pa = 0;
  double loss_Pa = 0;
  double tan_delta = 0;
  double strain_pct = 0;
  double force_N = 0;
  double torque_Nm = 0;
  bool torsion = true;
};

class SimulatedRheometer {
public:
  static constexpr std::size_t max_points_per_reply = 500;     // docs/rheometer-protocol.md
  static constexpr std::size_t max_line_bytes = 1024;          // docs/rheometer-protocol.md
  static constexpr std::size_t error_queue_capacity = 16;      // docs/rheometer-protocol.md
  static constexpr double settle_per_point_s = 0.5;            // docs: settling per point
  static constexpr double default_approach_K_per_min = 20.0;   // docs: APPROACH after *RST
  static constexpr double room_temperature_K = 295.15;         // the oven at power-on

  SimulatedRheometer(const Clock& clock, SampleState state, std::uint64_t seed);

  /// Handles one command line (without its LF) and returns the complete reply, each line
  /// terminated by LF. Thread-safe.
  std::string handle_line(std::string_view line);

  // Fault switches (thread-safe; the server and stdin call them).
  void inject_instrument_error(int code);
  void lose_sample();
  void schedule_fault(const PendingFault& fault);
  /// True once after a drop fault fired; the server then closes every connection.
  bool take_drop_request();
  /// Wall-clock instant until which the server must stay silent (stall fault).
  std::chrono::steady_clock::time_point stalled_until() const;
  void stall_for_wall_s(double seconds);

  /// Every START, point, end of a run (done, aborted, fault) and fired fault switch as a CSV line
  /// `t_mono_ns,event,run,index,detail` (docs/rheometer-protocol.md, "Event log"): what the
  /// instrument measured, for the soak's accounting. The file stays the caller's.
  void set_event_log(std::FILE* log);
  /// Brings the run up to now and logs the state the instrument is left in ("exit").
  void log_exit();

  /// For tests and the sim's console.
  std::string state_name() const;
  std::int64_t points_produced() const;

private:
  enum class State { idle, running, done, aborted, fault };
  enum class ProgramKind { none, ramp, steps };

  struct Configuration {
    bool torsion = true;
    double length_mm = 20, width_mm = 4, thickness_mm = 1;  // GEOM
    double strain_pct = 0.01;
    double static_force_N = 0.5;
    std::vector<double> frequencies_Hz;
    int delay_cycles = 1, acquisition_cycles = 3;
    ProgramKind program = ProgramKind::none;
    double from_K = 0, to_K = 0, rate_K_per_min = 0;        // RAMP
    std::vector<double> step_temperatures_K;                // STEPS
    double soak_s = 0;
    double approach_K_per_min = default_approach_K_per_min;  // APPROACH
  };

  /// A corner of the run's temperature program: the oven is at T_K at t_s (experiment seconds
  /// since START) and moves linearly to the next corner.
  struct ProgramCorner {
    double t_s = 0;
    double T_K = 0;
  };

  // One reply per command; each returns the reply text.
  std::string dispatch(const std::string& header, const std::vector<std::string>& params);
  std::string command_mode(const std::vector<std::string>& params);
  std::string command_geometry(const std::vector<std::string>& params);
  std::string command_frequencies(const std::vector<std::string>& params);
  std::string command_cycles(const std::vector<std::string>& params);
  std::string command_ramp(const std::vector<std::string>& params);
  std::string command_steps(const std::vector<std::string>& params);
  std::string command_approach(const std::vector<std::string>& params);
  std::string command_start();
  std::string command_abort();
  std::string query_status();
  std::string query_error();
  std::string query_data(const std::vector<std::string>& params);
  std::string error_reply(int code, const std::string& message);

  // The run: lazily produced points.
  void plan_program(double sweep_s);
  void advance_to_now();
  bool next_slot(double& start_s, double& frequency_Hz);
  double temperature_at(double t_s) const;
  double mean_temperature(double from_s, double to_s) const;
  SimPoint measure(std::int64_t index, double end_s, double frequency_Hz, double mean_T_K);
  void fire_faults(std::int64_t index, double point_end_s);
  /// Ends the run; the oven holds the temperature it had at `at_s` (default: now).
  void finish_run(State final_state, std::optional<double> at_s = std::nullopt);
  double run_seconds() const;
  void log_event(std::int64_t mono_ns, std::string_view event, std::int64_t index, std::string_view detail);

  const Clock& clock_;
  RelaxationModel model_;
  std::mt19937_64 rng_;
  mutable std::mutex mutex_;

  Configuration config_;
  Configuration run_config_;  // frozen at START
  State state_ = State::idle;
  std::int64_t run_number_ = 0;
  std::int64_t run_start_mono_ns_ = 0;
  std::vector<SimPoint> points_;
  double run_max_T_K_ = 0;
  double oven_K_ = room_temperature_K;  // between runs: where the last run left the oven
  double current_frequency_Hz_ = 0;
  bool sample_lost_ = false;

  // Program cursor.
  double slot_cursor_s_ = 0;      // start of the next point
  std::size_t frequency_cursor_ = 0;
  std::size_t step_cursor_ = 0;
  std::vector<ProgramCorner> program_;  // T(t) of the run, approach included
  double approach_end_s_ = 0;     // the oven reached the program's first temperature
  double program_end_s_ = 0;      // ramp: time T reaches to_K
  std::vector<double> step_sweep_start_s_;  // steps: when each sweep starts (after travel + soak)

  std::deque<std::pair<int, std::string>> error_queue_;
  std::vector<PendingFault> pending_faults_;
  bool drop_requested_ = false;
  std::chrono::steady_clock::time_point stalled_until_{};
  std::FILE* event_log_ = nullptr;
};

SampleState parse_sample_state(std::string_view text);  ///< "as-cast"/"AS_CAST"/"hpt"; throws UsageError

}  // namespace glasslab::sim::rheometer
