#include "sim/linkam/thermal_model.hpp"

#include <cmath>

namespace glasslab::sim::linkam {

ThermalModel::ThermalModel(const ThermalParameters& parameters, double initial_K)
    : parameters_(parameters), sample_K_(std::max(initial_K, parameters.ln2_K)) {}

double ThermalModel::surroundings_rate_K_per_s(double temperature_K) const {
  // Newtonian exchange with the room: fast far from ambient, slow close to it, and a heat leak
  // into a sample held below ambient (which the pump has to fight).
  return -parameters_.free_cooling_constant_per_s * (temperature_K - parameters_.ambient_K);
}

double ThermalModel::pump_capacity_K_per_s(int speed, double temperature_K) const {
  const int clamped_speed = std::clamp(speed, 0, kPumpSpeedMax);
  const double above_ln2_K = temperature_K - parameters_.ln2_K;
  if (clamped_speed == 0 || above_ln2_K <= 0.0) return 0.0;
  // Nitrogen cannot take a sample below its boiling point: the capacity rolls off near 77 K.
  const double rolloff = 1.0 - std::exp(-above_ln2_K / parameters_.pump_rolloff_K);
  return parameters_.pump_max_cooling_K_per_min / 60.0 * clamped_speed / kPumpSpeedMax * rolloff;
}

StepOutcome ThermalModel::step(double dt_s, const Actuation& actuation) {
  StepOutcome outcome;
  const double temperature_K = sample_K_;
  const double surroundings_K_per_s = surroundings_rate_K_per_s(temperature_K);
  double actuators_K_per_s = 0.0;  // heater (+) and pump (-) together

  if (actuation.regulating && actuation.heater_stuck_on) {
    // A failed heater drive: full power whatever the controller asks for (a runaway stage).
    actuators_K_per_s = heater_max_rate_K_per_s();
    outcome.heater_fraction = 1.0;
  } else if (actuation.regulating) {
    const double demanded_K_per_s = (actuation.setpoint_K - temperature_K) / parameters_.lag_time_constant_s;
    // What the heater and the pump must add on top of what the surroundings already do.
    const double needed_K_per_s = demanded_K_per_s - surroundings_K_per_s;
    const double heater_max_K_per_s = heater_max_rate_K_per_s();

    if (actuation.pump_mode == PumpMode::automatic) {
      if (needed_K_per_s >= 0.0) {
        actuators_K_per_s = std::min(needed_K_per_s, heater_max_K_per_s);
        outcome.heater_fraction = actuators_K_per_s / heater_max_K_per_s;
      } else {
        // The controller picks the slowest pump speed that covers the demand (speeds are steps
        // of 1/30); a speed step that overshoots is trimmed by the heater.
        const double full_capacity = pump_capacity_K_per_s(kPumpSpeedMax, temperature_K);
        int speed = kPumpSpeedMax;
        if (full_capacity > 0.0)
          speed = std::clamp(static_cast<int>(std::ceil(-needed_K_per_s / full_capacity * kPumpSpeedMax - 1e-9)), 1,
                             kPumpSpeedMax);
        const double cooling_K_per_s = std::min(-needed_K_per_s, pump_capacity_K_per_s(speed, temperature_K));
        actuators_K_per_s = -cooling_K_per_s;
        outcome.pump_speed = speed;
        outcome.cooling_saturated = -needed_K_per_s > cooling_K_per_s + 1e-12;
      }
    } else {
      // Manual: the pump runs at the speed the host set; the heater trims whatever is too much.
      const int speed = std::clamp(actuation.manual_pump_speed, 0, kPumpSpeedMax);
      const double cooling_K_per_s = pump_capacity_K_per_s(speed, temperature_K);
      const double heater_K_per_s = std::clamp(needed_K_per_s + cooling_K_per_s, 0.0, heater_max_K_per_s);
      actuators_K_per_s = heater_K_per_s - cooling_K_per_s;
      outcome.pump_speed = speed;
      outcome.cooling_saturated = needed_K_per_s < -cooling_K_per_s - 1e-12;
      outcome.heater_fraction = heater_K_per_s / heater_max_K_per_s;
    }
  }

  sample_K_ = std::max(temperature_K + dt_s * (surroundings_K_per_s + actuators_K_per_s), parameters_.ln2_K);
  return outcome;
}

}  // namespace glasslab::sim::linkam
