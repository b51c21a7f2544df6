#include "sim/linkam/t95_controller.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace glasslab::sim::linkam {

namespace {

/// Parses 1..max_digits decimal digits and nothing else (no sign, no blanks).
std::optional<int> parse_digits(std::string_view text, std::size_t max_digits) {
  if (text.empty() || text.size() > max_digits) return std::nullopt;
  if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
  int value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

/// L1 value: degC x 10, negative values with a leading minus (reference: `L1-1960`).
std::optional<int> parse_signed_deci(std::string_view text) {
  const bool negative = !text.empty() && text.front() == '-';
  const auto magnitude = parse_digits(negative ? text.substr(1) : text, 4);
  if (!magnitude) return std::nullopt;
  return negative ? -*magnitude : *magnitude;
}

}  // namespace

std::string_view to_string(ProgramState state) {
  switch (state) {
    case ProgramState::stopped: return "stopped";
    case ProgramState::heating: return "heating";
    case ProgramState::cooling: return "cooling";
    case ProgramState::holding_limit: return "holding_limit";
    case ProgramState::holding_current: return "holding_current";
  }
  return "unknown";
}

T95Controller::T95Controller(const ControllerOptions& options)
    : options_(options),
      model_(options.thermal, options.initial_K),
      noise_rng_(options.seed),
      noise_(0.0, std::max(options.noise_K, 0.0)),
      pump_mode_(options.pump_auto_at_power_on ? PumpMode::automatic : PumpMode::manual) {
  setpoint_K_ = model_.sample_K();
  ramp_limit_K_ = limit_register_deci_C_ / 10.0 + kZeroCelsius_K;
  ramp_rate_K_per_s_ = rate_register_centi_C_per_min_ / 100.0 / 60.0;
}

void T95Controller::set_truth_sink(double interval_s, std::function<void(const ControllerSnapshot&)> sink) {
  truth_interval_s_ = interval_s > 0.0 ? interval_s : 1.0;
  next_truth_s_ = std::ceil(t_s_ / truth_interval_s_ - 1e-9) * truth_interval_s_;
  truth_sink_ = std::move(sink);
}

void T95Controller::advance_to(double t_s) {
  // Small fixed-size steps of experiment time, cut at every truth-log instant so the log holds
  // the state exactly on its grid whatever the wall-clock speed was.
  const auto emit_due_truth = [this] {
    while (truth_sink_ && next_truth_s_ <= t_s_ + 1e-9) {
      truth_sink_(snapshot());
      next_truth_s_ += truth_interval_s_;
    }
  };
  emit_due_truth();
  while (t_s_ < t_s) {
    double step_end_s = std::min(t_s, t_s_ + model_.parameters().max_step_s);
    if (truth_sink_) step_end_s = std::min(step_end_s, next_truth_s_);
    integrate_step(step_end_s - t_s_);
    t_s_ = step_end_s;
    emit_due_truth();
  }
}

void T95Controller::integrate_step(double dt_s) {
  // The setpoint ramps at the loaded rate; reaching the limit ends the ramp (SB1 0x30).
  if (state_ == ProgramState::heating) {
    setpoint_K_ = std::min(setpoint_K_ + ramp_rate_K_per_s_ * dt_s, ramp_limit_K_);
    if (setpoint_K_ >= ramp_limit_K_) state_ = ProgramState::holding_limit;
  } else if (state_ == ProgramState::cooling) {
    setpoint_K_ = std::max(setpoint_K_ - ramp_rate_K_per_s_ * dt_s, ramp_limit_K_);
    if (setpoint_K_ <= ramp_limit_K_) state_ = ProgramState::holding_limit;
  }

  const double drift_K = kOvershootDrift_K_per_min / 60.0 * dt_s;
  overshoot_K_ += std::clamp(overshoot_target_K_ - overshoot_K_, -drift_K, drift_K);

  Actuation actuation;
  actuation.regulating = state_ != ProgramState::stopped && !open_circuit_;
  actuation.setpoint_K = setpoint_K_ + overshoot_K_;
  actuation.heater_stuck_on = runaway_;
  actuation.pump_mode = pump_mode_;
  actuation.manual_pump_speed = manual_pump_speed_;
  const StepOutcome outcome = model_.step(dt_s, actuation);
  running_pump_speed_ = outcome.pump_speed;

  // EB1 bit0: the sample cannot keep up with a falling setpoint. Set once it lags more than
  // 1 K with the cooling saturated, cleared when it is back within 0.5 K (hysteresis, so a
  // poll does not see the bit flicker).
  if (!actuation.regulating) {
    cooling_rate_error_ = false;
  } else {
    const double lag_above_setpoint_K = model_.sample_K() - actuation.setpoint_K;
    if (outcome.cooling_saturated && lag_above_setpoint_K > 1.0) cooling_rate_error_ = true;
    else if (lag_above_setpoint_K < 0.5) cooling_rate_error_ = false;
  }
}

std::optional<std::string> T95Controller::handle_command(std::string_view line) {
  // Reference: "the controller ignores every command until it has received a first T".
  if (!awake_) {
    if (line != "T") return std::nullopt;
    awake_ = true;
    return status_reply();
  }
  if (line.empty()) return std::nullopt;  // a stray CR (a host resynchronising): nothing to do
  if (line == "T") return status_reply();
  if (handle_setting(line)) return std::string("\r");  // commands without data: a bare CR
  // Invalid command or value: the real unit does not answer sensibly (the manual warns it may
  // need a reset). We answer nothing, change nothing, and flag EB1 bit5 in the next T reply.
  link_error_pending_ = true;
  return std::nullopt;
}

bool T95Controller::handle_setting(std::string_view line) {
  if (line == "S" || line == "H" || line == "C") {
    start_ramp(line == "S" ? Direction::any : line == "H" ? Direction::up : Direction::down);
    return true;
  }
  if (line == "E") {
    stop();
    return true;
  }
  if (line == "O") {
    hold_current();
    return true;
  }
  if (line == "Pa0" || line == "Pm0") {
    pump_mode_ = line == "Pa0" ? PumpMode::automatic : PumpMode::manual;
    return true;
  }
  if (line.size() == 2 && line[0] == 'P') {
    // P<c>: c = chr(0x30 + speed), speed 0..30, i.e. '0'..'N'.
    const int speed = static_cast<unsigned char>(line[1]) - 0x30;
    if (speed < 0 || speed > kPumpSpeedMax) return false;
    manual_pump_speed_ = speed;
    return true;
  }
  if (line.starts_with("R1")) {
    const auto rate = parse_digits(line.substr(2), 5);
    if (!rate || *rate < kRateMinCentiCPerMin || *rate > kRateMaxCentiCPerMin) return false;
    rate_register_centi_C_per_min_ = *rate;
    return true;
  }
  if (line.starts_with("L1")) {
    const auto limit = parse_signed_deci(line.substr(2));
    if (!limit || *limit < kLimitMinDeciC || *limit > kLimitMaxDeciC) return false;
    limit_register_deci_C_ = *limit;
    return true;
  }
  return false;
}

void T95Controller::start_ramp(Direction allowed) {
  // S, H and C load R1 and L1 into the running program: a new L1 sent during a ramp takes
  // effect only with the next S (reference, "field reports": re-send S).
  if (state_ == ProgramState::stopped) setpoint_K_ = model_.sample_K();
  ramp_rate_K_per_s_ = rate_register_centi_C_per_min_ / 100.0 / 60.0;
  ramp_limit_K_ = limit_register_deci_C_ / 10.0 + kZeroCelsius_K;
  const double to_go_K = ramp_limit_K_ - setpoint_K_;
  if (std::abs(to_go_K) < 1e-9) state_ = ProgramState::holding_limit;
  else if (to_go_K > 0.0) state_ = allowed == Direction::down ? ProgramState::holding_current : ProgramState::heating;
  else state_ = allowed == Direction::up ? ProgramState::holding_current : ProgramState::cooling;
}

void T95Controller::hold_current() {
  // O freezes the setpoint where the ramp is; from stopped it holds the present temperature.
  if (state_ == ProgramState::stopped) setpoint_K_ = model_.sample_K();
  state_ = ProgramState::holding_current;
}

void T95Controller::stop() {
  state_ = ProgramState::stopped;
  cooling_rate_error_ = false;
  running_pump_speed_ = 0;
}

void T95Controller::set_open_circuit(bool open) { open_circuit_ = open; }
void T95Controller::set_runaway(bool on) { runaway_ = on; }
void T95Controller::set_overshoot_K(double overshoot_K) { overshoot_target_K_ = overshoot_K; }

std::uint8_t T95Controller::eb1_byte() const {
  std::uint8_t eb1 = kEb1Base;
  if (cooling_rate_error_) eb1 |= kEb1CoolingRateTooFast;
  if (open_circuit_) eb1 |= kEb1OpenCircuit;
  if (link_error_pending_) eb1 |= kEb1LinkError;
  return eb1;
}

int T95Controller::reported_deci_C() {
  if (open_circuit_) return kOpenCircuitReadingDeciC;
  const double measured_K = model_.sample_K() + (options_.noise_K > 0.0 ? noise_(noise_rng_) : 0.0);
  const long deci_C = std::lround((measured_K - kZeroCelsius_K) * 10.0);
  return static_cast<int>(std::clamp<long>(deci_C, std::numeric_limits<std::int16_t>::min(),
                                           std::numeric_limits<std::int16_t>::max()));
}

std::string T95Controller::status_reply() {
  // Reference, "'T' reply: 10 bytes + CR".
  std::string reply(6, '\x80');
  reply[0] = static_cast<char>(state_);  // SB1
  reply[1] = static_cast<char>(eb1_byte());
  // PB1: speed with bit 7 set; automatic mode adds 0x40.
  const int pb1 = (pump_mode_ == PumpMode::automatic ? 0xC0 : 0x80) + running_pump_speed_;
  reply[2] = static_cast<char>(pb1);
  // reply[3] GS1 = 0x80 (no motor stage), reply[4], reply[5] unused = 0x80.
  // Bytes 6..9: degC x 10 as a 16-bit two's complement in 4 uppercase hex digits.
  const auto raw = static_cast<std::uint16_t>(static_cast<std::int16_t>(reported_deci_C()));
  reply += fmt::format("{:04X}\r", raw);
  link_error_pending_ = false;  // read-to-clear: reported once
  return reply;
}

ControllerSnapshot T95Controller::snapshot() const {
  ControllerSnapshot s;
  s.t_s = t_s_;
  s.sample_K = model_.sample_K();
  s.setpoint_K = state_ == ProgramState::stopped ? std::numeric_limits<double>::quiet_NaN() : setpoint_K_;
  s.ramp_limit_K = ramp_limit_K_;
  s.ramp_rate_K_per_min = ramp_rate_K_per_s_ * 60.0;
  s.limit_register_K = limit_register_deci_C_ / 10.0 + kZeroCelsius_K;
  s.rate_register_K_per_min = rate_register_centi_C_per_min_ / 100.0;
  s.state = state_;
  s.eb1 = eb1_byte();
  s.pump_mode = pump_mode_;
  s.pump_speed = running_pump_speed_;
  s.manual_pump_speed = manual_pump_speed_;
  s.awake = awake_;
  s.open_circuit = open_circuit_;
  s.runaway = runaway_;
  s.overshoot_K = overshoot_target_K_;
  return s;
}

}  // namespace glasslab::sim::linkam
