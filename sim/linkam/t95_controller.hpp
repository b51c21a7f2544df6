#pragma once
// The controller side of the Linkam T95 legacy serial protocol, written from
// /work/shared/reference/linkam-t95.md (Linkam "RS 232 Communications Manual" v2.4) without any
// code of drivers/linkam, so that a codec bug cannot hide on both sides of the cable.
//
// Pure: command lines in (without their CR), reply bytes out (with their CR). No I/O, no clock:
// the owner advances experiment time with advance_to() before each command, so a reply is the
// same whatever the wall-clock speed of the simulation.
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "sim/linkam/thermal_model.hpp"

namespace glasslab::sim::linkam {

/// SB1, byte 0 of the 'T' reply (reference, "'T' reply").
enum class ProgramState : std::uint8_t {
  stopped = 0x01,
  heating = 0x10,
  cooling = 0x20,
  holding_limit = 0x30,    // end of ramp: holds L1 indefinitely
  holding_current = 0x50,  // after 'O'
};
std::string_view to_string(ProgramState state);

// EB1, byte 1 of the 'T' reply: bit 7 always set, then error bits.
inline constexpr std::uint8_t kEb1Base = 0x80;
inline constexpr std::uint8_t kEb1CoolingRateTooFast = 0x01;  // bit0
inline constexpr std::uint8_t kEb1OpenCircuit = 0x02;         // bit1
inline constexpr std::uint8_t kEb1LinkError = 0x20;           // bit5: RS-232 link error

// Controller registers and their ranges. R1 is 0.01 degC/min steps, minimum 1 (reference); the
// maximum and the L1 range are the THMS600 envelope (-196..600 degC, up to 150 degC/min).
inline constexpr int kRateMinCentiCPerMin = 1;
inline constexpr int kRateMaxCentiCPerMin = 15000;
inline constexpr int kLimitMinDeciC = -1960;
inline constexpr int kLimitMaxDeciC = 6000;
/// What the T reply shows while the sensor is open: a saturated reading far outside the stage range.
inline constexpr int kOpenCircuitReadingDeciC = 9999;
inline constexpr double kZeroCelsius_K = 273.15;
/// How fast the `overshoot` fault's offset drifts in (and out): slow enough that the sample's rate
/// stays far below any envelope's, so only the over-temperature interlock sees it.
inline constexpr double kOvershootDrift_K_per_min = 10.0;

struct ControllerOptions {
  ThermalParameters thermal;
  double initial_K = 295.15;
  unsigned seed = 1;
  double noise_K = 0.02;               // sigma of the Gaussian sensor noise on reported readings
  bool pump_auto_at_power_on = false;  // power-on pump mode (manual, speed 0, unless set)
};

/// The true state of the simulated stage and controller at one instant.
struct ControllerSnapshot {
  double t_s = 0.0;            // experiment seconds since power-on
  double sample_K = 0.0;       // true sample temperature (no noise)
  double setpoint_K = 0.0;     // controller setpoint; NaN while stopped
  double ramp_limit_K = 0.0;   // limit loaded by the last S/H/C
  double ramp_rate_K_per_min = 0.0;
  double limit_register_K = 0.0;  // L1 as last sent (loaded into the ramp by S/H/C)
  double rate_register_K_per_min = 0.0;
  ProgramState state = ProgramState::stopped;
  std::uint8_t eb1 = kEb1Base;
  PumpMode pump_mode = PumpMode::manual;
  int pump_speed = 0;         // speed the pump runs at now
  int manual_pump_speed = 0;  // last P<c>
  bool awake = false;         // has received its first 'T'
  bool open_circuit = false;
  bool runaway = false;       // fault: heater drive stuck on while the program runs
  double overshoot_K = 0.0;   // fault: the loop regulates this far above the setpoint
};

class T95Controller {
public:
  explicit T95Controller(const ControllerOptions& options);

  /// Integrates the stage up to experiment time t_s (never backwards).
  void advance_to(double t_s);
  /// Calls `sink` with the true state every interval_s of experiment time (from t = 0).
  void set_truth_sink(double interval_s, std::function<void(const ControllerSnapshot&)> sink);

  /// Handles one command line (CR removed). Returns the reply including its CR, or nothing when
  /// the controller does not answer (asleep before the first 'T', or an invalid command).
  std::optional<std::string> handle_command(std::string_view line);

  /// Stage unplugged / sensor open: EB1 bit1, a bogus reading, heater and pump idle.
  void set_open_circuit(bool open);
  /// Heater drive fails on: full heater power whenever the program runs (not stopped), whatever
  /// the setpoint; E still stops it (the controller cuts the heater supply). A runaway stage.
  void set_runaway(bool on);
  /// A control loop drifting off: its offset moves towards overshoot_K at kOvershootDrift_K_per_min
  /// (a failing loop drifts, it does not jump), so the sample settles overshoot_K above the
  /// setpoint; the reading shows the sample's true temperature. 0 drifts back.
  void set_overshoot_K(double overshoot_K);
  ControllerSnapshot snapshot() const;
  double now_s() const { return t_s_; }

private:
  enum class Direction { any, up, down };

  std::string status_reply();
  bool handle_setting(std::string_view line);
  void start_ramp(Direction allowed);
  void hold_current();
  void stop();
  void integrate_step(double dt_s);
  std::uint8_t eb1_byte() const;
  int reported_deci_C();

  ControllerOptions options_;
  ThermalModel model_;
  std::mt19937_64 noise_rng_;
  std::normal_distribution<double> noise_;

  double t_s_ = 0.0;
  bool awake_ = false;
  ProgramState state_ = ProgramState::stopped;
  int rate_register_centi_C_per_min_ = 1000;  // power-on R1: 10 degC/min
  int limit_register_deci_C_ = 250;           // power-on L1: 25.0 degC
  double ramp_rate_K_per_s_ = 0.0;
  double ramp_limit_K_ = 0.0;
  double setpoint_K_ = 0.0;
  PumpMode pump_mode_ = PumpMode::manual;
  int manual_pump_speed_ = 0;
  int running_pump_speed_ = 0;
  bool cooling_rate_error_ = false;  // EB1 bit0, with hysteresis
  bool link_error_pending_ = false;  // EB1 bit5, cleared once reported
  bool open_circuit_ = false;
  bool runaway_ = false;
  double overshoot_target_K_ = 0.0;
  double overshoot_K_ = 0.0;  // drifts towards the target

  double truth_interval_s_ = 0.0;
  double next_truth_s_ = 0.0;
  std::function<void(const ControllerSnapshot&)> truth_sink_;
};

}  // namespace glasslab::sim::linkam
