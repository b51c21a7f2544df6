#pragma once
// Physics of a simulated Linkam THMS600 stage on a T95 controller with an LNP95 liquid-nitrogen pump.
//
// Simple but honest (docs/simulators.md, "Linkam T95", has the figures):
//  - the controller regulates the sample towards its setpoint with a first-order lag
//    (closed-loop time constant lag_time_constant_s): demanded dT/dt = (setpoint - T) / tau;
//  - the heater can add at most heater_max_rate_K_per_min; what the sample loses to its
//    surroundings (Newtonian, k * (T - ambient)) comes off that, so the net heating rate falls
//    at high temperature;
//  - without the pump the only way down is free cooling towards ambient (slow at small dT);
//  - the LN2 pump removes up to pump_max_cooling_K_per_min * speed/30, less as the sample
//    approaches the boiling point of nitrogen (77 K), below which nothing can cool it.
// The model knows nothing about the serial protocol; the controller (t95_controller.hpp) drives it.
#include <algorithm>

namespace glasslab::sim::linkam {

struct ThermalParameters {
  double ambient_K = 295.15;
  double lag_time_constant_s = 3.0;            // closed-loop response of the controller
  double heater_max_rate_K_per_min = 200.0;    // heater alone, before losses
  double free_cooling_constant_per_s = 1.0 / 600.0;  // Newton: dT/dt = -k (T - ambient)
  double ln2_K = 77.0;                         // LN2 boils at 77 K: the floor of the stage
  double pump_max_cooling_K_per_min = 150.0;   // full pump speed (30) far above 77 K
  double pump_rolloff_K = 8.0;                 // pump capacity * (1 - exp(-(T - 77 K)/rolloff))
  double max_step_s = 0.05;                    // integration step of experiment time
};

enum class PumpMode { manual, automatic };

inline constexpr int kPumpSpeedMax = 30;  // reference: pump speed 0..30

/// What the controller asks of the stage during one integration step.
struct Actuation {
  bool regulating = false;  // false: heater and pump idle (controller stopped, or sensor open)
  double setpoint_K = 0.0;
  PumpMode pump_mode = PumpMode::manual;
  int manual_pump_speed = 0;  // used in manual mode only
  bool heater_stuck_on = false;  // fault: full heater power while regulating, pump idle
};

/// What happened during a step, for the status bytes.
struct StepOutcome {
  int pump_speed = 0;              // speed the pump actually ran at (0..30)
  bool cooling_saturated = false;  // more cooling was demanded than the stage could give
  double heater_fraction = 0.0;    // 0..1 of heater power used
};

class ThermalModel {
public:
  ThermalModel(const ThermalParameters& parameters, double initial_K);

  /// Advances the sample temperature by dt_s experiment seconds (callers keep dt_s <= max_step_s).
  StepOutcome step(double dt_s, const Actuation& actuation);

  double sample_K() const { return sample_K_; }
  const ThermalParameters& parameters() const { return parameters_; }

  /// Heat lost to (negative) or gained from (positive) the surroundings, K/s, at temperature_K.
  double surroundings_rate_K_per_s(double temperature_K) const;
  /// Cooling the pump can give at `speed` (0..30) at temperature_K, K/s (>= 0).
  double pump_capacity_K_per_s(int speed, double temperature_K) const;
  double heater_max_rate_K_per_s() const { return parameters_.heater_max_rate_K_per_min / 60.0; }

private:
  ThermalParameters parameters_;
  double sample_K_;
};

}  // namespace glasslab::sim::linkam
