#include "sim/rheometer/instrument.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numbers>
#include <utility>

#include <fmt/format.h>

#include "core/error.hpp"

namespace glasslab::sim::rheometer {

namespace {

constexpr double phase_floor_rad = 3e-4;      // instrument loss floor (tan δ ≈ 3e-4)
constexpr double phase_noise_rad = 5e-5;      // reference: "noise on the phase"
constexpr double magnitude_noise = 2e-3;      // relative noise on |M*|
constexpr double collapse_factor = 1e-5;      // lost sample: only the fixture's compliance remains
constexpr std::int64_t max_points_per_run = 2'000'000;

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r");
  return std::string(text.substr(first, last - first + 1));
}

std::string upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

bool parse_number(const std::string& text, double& value) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  return ec == std::errc() && ptr == end && std::isfinite(value);
}

bool parse_integer(const std::string& text, std::int64_t& value) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  return ec == std::errc() && ptr == end;
}

std::string fmt_real(double value) { return fmt::format("{:.10g}", value); }

std::string quote(const std::string& message) {
  std::string out = "\"";
  for (char c : message) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// Thrown inside command handlers; turned into an ERR reply by dispatch's caller.
struct CommandFailure {
  int code;
  std::string message;
};

double number_in(const std::string& text, double lo, double hi, const char* what) {
  double value = 0;
  if (!parse_number(text, value)) throw CommandFailure{-104, fmt::format("Data type error: {} '{}'", what, text)};
  if (value < lo || value > hi)
    throw CommandFailure{-222, fmt::format("Data out of range: {} {} not in [{}, {}]", what, text, lo, hi)};
  return value;
}

void expect_count(const std::vector<std::string>& params, std::size_t lo, std::size_t hi) {
  if (params.size() < lo) throw CommandFailure{-109, "Missing parameter"};
  if (params.size() > hi) throw CommandFailure{-108, "Parameter not allowed"};
}

}  // namespace

SampleState parse_sample_state(std::string_view text) {
  std::string key = upper(std::string(text));
  std::replace(key.begin(), key.end(), '-', '_');
  if (key == "AS_CAST" || key == "ASCAST") return SampleState::as_cast;
  if (key == "HPT") return SampleState::hpt;
  throw UsageError(fmt::format("sample state '{}' is not as-cast or hpt", text));
}

SimulatedRheometer::SimulatedRheometer(const Clock& clock, SampleState state, std::uint64_t seed)
    : clock_(clock), model_(state), rng_(seed) {}

std::string SimulatedRheometer::handle_line(std::string_view raw) {
  std::lock_guard lock(mutex_);
  if (raw.size() > max_line_bytes) return error_reply(-102, "Line too long");
  const std::string line = trim(raw);
  if (line.empty()) return {};  // an empty line is ignored
  const auto space = line.find_first_of(" \t");
  const std::string header = upper(line.substr(0, space));
  std::vector<std::string> params;
  if (space != std::string::npos) {
    const std::string rest = trim(std::string_view(line).substr(space));
    std::size_t begin = 0;
    while (!rest.empty() && begin <= rest.size()) {
      const auto comma = rest.find(',', begin);
      params.push_back(trim(std::string_view(rest).substr(begin, comma - begin)));
      if (comma == std::string::npos) break;
      begin = comma + 1;
    }
  }
  advance_to_now();
  try {
    return dispatch(header, params);
  } catch (const CommandFailure& failure) {
    return error_reply(failure.code, failure.message);
  }
}

std::string SimulatedRheometer::dispatch(const std::string& header, const std::vector<std::string>& params) {
  const bool configuration_command = header == "MODE" || header == "GEOM" || header == "STRAIN" ||
                                     header == "FORCE" || header == "FREQ" || header == "CYCLES" ||
                                     header == "RAMP" || header == "STEPS" || header == "APPROACH" ||
                                     header == "SAMPLE";
  if (configuration_command && state_ == State::running)
    throw CommandFailure{-221, "Settings conflict: running"};
  if (header == "*IDN?") return expect_count(params, 0, 0), std::string("glasslab,DHR-3 SIM,SIM0001,1.0\n");
  if (header == "*RST") {
    expect_count(params, 0, 0);
    if (state_ == State::running) finish_run(State::aborted);
    config_ = Configuration{};  // APPROACH back to 20 K/min; the oven stays where it is
    error_queue_.clear();
    return "OK\n";
  }
  if (header == "MODE") return command_mode(params);
  if (header == "GEOM") return command_geometry(params);
  if (header == "STRAIN") {
    expect_count(params, 1, 1);
    config_.strain_pct = number_in(params[0], 1e-5, 10, "strain %");
    return "OK\n";
  }
  if (header == "FORCE") {
    expect_count(params, 1, 1);
    config_.static_force_N = number_in(params[0], 0, 50, "axial force N");
    return "OK\n";
  }
  if (header == "FREQ") return command_frequencies(params);
  if (header == "CYCLES") return command_cycles(params);
  if (header == "RAMP") return command_ramp(params);
  if (header == "STEPS") return command_steps(params);
  if (header == "APPROACH") return command_approach(params);
  if (header == "START") return expect_count(params, 0, 0), command_start();
  if (header == "ABORT") return expect_count(params, 0, 0), command_abort();
  if (header == "STATUS?") return expect_count(params, 0, 0), query_status();
  if (header == "SYST:ERR?" || header == "SYSTEM:ERROR?") return expect_count(params, 0, 0), query_error();
  if (header == "DATA?") return query_data(params);
  if (header == "SAMPLE") {
    expect_count(params, 1, 1);
    try {
      model_ = RelaxationModel(parse_sample_state(params[0]));
    } catch (const UsageError&) {
      throw CommandFailure{-224, fmt::format("Illegal parameter value: sample state '{}'", params[0])};
    }
    sample_lost_ = false;
    return "OK\n";
  }
  throw CommandFailure{-100, fmt::format("Command error: unknown header '{}'", header)};
}

std::string SimulatedRheometer::command_mode(const std::vector<std::string>& params) {
  expect_count(params, 1, 1);
  const std::string mode = upper(params[0]);
  if (mode == "TORSION") config_.torsion = true;
  else if (mode == "BENDING") config_.torsion = false;
  else throw CommandFailure{-224, fmt::format("Illegal parameter value: mode '{}'", params[0])};
  return "OK\n";
}

std::string SimulatedRheometer::command_geometry(const std::vector<std::string>& params) {
  expect_count(params, 4, 4);
  const std::string shape = upper(params[0]);
  if (shape != "RECT" && shape != "3PB")
    throw CommandFailure{-224, fmt::format("Illegal parameter value: geometry '{}'", params[0])};
  config_.length_mm = number_in(params[1], 0.1, 100, "length mm");
  config_.width_mm = number_in(params[2], 0.1, 100, "width mm");
  config_.thickness_mm = number_in(params[3], 0.1, 100, "thickness mm");
  return "OK\n";
}

std::string SimulatedRheometer::command_frequencies(const std::vector<std::string>& params) {
  expect_count(params, 1, 32);
  std::vector<double> frequencies;
  for (const auto& p : params) frequencies.push_back(number_in(p, 0.01, 100, "frequency Hz"));
  config_.frequencies_Hz = std::move(frequencies);
  return "OK\n";
}

std::string SimulatedRheometer::command_cycles(const std::vector<std::string>& params) {
  expect_count(params, 2, 2);
  std::int64_t delay = 0, acquisition = 0;
  if (!parse_integer(params[0], delay) || !parse_integer(params[1], acquisition))
    throw CommandFailure{-104, "Data type error: cycles must be integers"};
  if (delay < 0 || delay > 20 || acquisition < 1 || acquisition > 50)
    throw CommandFailure{-222, fmt::format("Data out of range: cycles {},{}", delay, acquisition)};
  config_.delay_cycles = static_cast<int>(delay);
  config_.acquisition_cycles = static_cast<int>(acquisition);
  return "OK\n";
}

std::string SimulatedRheometer::command_ramp(const std::vector<std::string>& params) {
  expect_count(params, 3, 3);
  const double from_K = number_in(params[0], 100, 900, "from K");
  const double to_K = number_in(params[1], 100, 900, "to K");
  const double rate = number_in(params[2], 0.1, 50, "rate K/min");
  if (from_K == to_K) throw CommandFailure{-221, "Settings conflict: ramp from equals to"};
  config_.program = ProgramKind::ramp;
  config_.from_K = from_K;
  config_.to_K = to_K;
  config_.rate_K_per_min = rate;
  return "OK\n";
}

std::string SimulatedRheometer::command_steps(const std::vector<std::string>& params) {
  expect_count(params, 2, 65);
  std::vector<double> temperatures;
  for (std::size_t i = 0; i + 1 < params.size(); ++i) temperatures.push_back(number_in(params[i], 100, 900, "step K"));
  config_.soak_s = number_in(params.back(), 0, 36000, "soak s");
  config_.step_temperatures_K = std::move(temperatures);
  config_.program = ProgramKind::steps;
  return "OK\n";
}

std::string SimulatedRheometer::command_approach(const std::vector<std::string>& params) {
  expect_count(params, 1, 1);
  config_.approach_K_per_min = number_in(params[0], 0.1, 50, "approach K/min");
  return "OK\n";
}

std::string SimulatedRheometer::command_start() {
  if (state_ == State::running) throw CommandFailure{-221, "Settings conflict: running"};
  if (config_.frequencies_Hz.empty()) throw CommandFailure{-221, "Settings conflict: no frequencies (FREQ)"};
  if (config_.program == ProgramKind::none) throw CommandFailure{-221, "Settings conflict: no RAMP or STEPS"};
  run_config_ = config_;
  state_ = State::running;
  ++run_number_;
  run_start_mono_ns_ = clock_.mono_ns();
  points_.clear();
  log_event(run_start_mono_ns_, "start", 0, "");
  frequency_cursor_ = 0;
  step_cursor_ = 0;
  const auto& c = run_config_;
  double sweep_s = 0;
  for (double f : c.frequencies_Hz) sweep_s += settle_per_point_s + (c.delay_cycles + c.acquisition_cycles) / f;
  plan_program(sweep_s);
  slot_cursor_s_ = approach_end_s_;  // no point while the oven approaches
  // The history counts from the program's first temperature: a bar mounted for this run never
  // saw where the previous run left the oven.
  run_max_T_K_ = program_[1].T_K;
  return "OK\n";
}

void SimulatedRheometer::plan_program(double sweep_s) {
  const auto& c = run_config_;
  const double approach_K_per_s = c.approach_K_per_min / 60.0;
  program_.assign(1, {0.0, oven_K_});
  auto move_to = [&](double T_K, double K_per_s) {
    const ProgramCorner& last = program_.back();
    program_.push_back({last.t_s + std::abs(T_K - last.T_K) / K_per_s, T_K});
  };
  auto hold_for = [&](double seconds) { program_.push_back({program_.back().t_s + seconds, program_.back().T_K}); };
  step_sweep_start_s_.clear();
  if (c.program == ProgramKind::ramp) {
    move_to(c.from_K, approach_K_per_s);
    approach_end_s_ = program_.back().t_s;
    move_to(c.to_K, c.rate_K_per_min / 60.0);
  } else {
    for (std::size_t i = 0; i < c.step_temperatures_K.size(); ++i) {
      move_to(c.step_temperatures_K[i], approach_K_per_s);
      if (i == 0) approach_end_s_ = program_.back().t_s;
      hold_for(c.soak_s);
      step_sweep_start_s_.push_back(program_.back().t_s);
      hold_for(sweep_s);
    }
  }
  program_end_s_ = program_.back().t_s;
}

std::string SimulatedRheometer::command_abort() {
  static constexpr const char* names[] = {"IDLE", "RUNNING", "DONE", "ABORTED", "FAULT"};
  log_event(clock_.mono_ns(), "abort", static_cast<std::int64_t>(points_.size()), names[static_cast<int>(state_)]);
  if (state_ == State::running) finish_run(State::aborted);
  return "OK\n";
}

std::string SimulatedRheometer::query_status() {
  static constexpr const char* names[] = {"IDLE", "RUNNING", "DONE", "ABORTED", "FAULT"};
  const bool running = state_ == State::running;
  const double T_K = running ? temperature_at(run_seconds()) : oven_K_;
  return fmt::format("{},{},{},{},{}\n", names[static_cast<int>(state_)], fmt_real(T_K),
                     points_.size(), fmt_real(running ? current_frequency_Hz_ : 0.0), run_number_);
}

std::string SimulatedRheometer::query_error() {
  if (error_queue_.empty()) return "0,\"No error\"\n";
  auto [code, message] = error_queue_.front();
  error_queue_.pop_front();
  return fmt::format("{},{}\n", code, quote(message));
}

std::string SimulatedRheometer::query_data(const std::vector<std::string>& params) {
  expect_count(params, 1, 1);
  std::int64_t since = 0;
  if (!parse_integer(params[0], since) || since < 0)
    throw CommandFailure{-104, fmt::format("Data type error: index '{}'", params[0])};
  std::string reply;
  std::size_t sent = 0;
  for (auto i = static_cast<std::size_t>(since); i < points_.size() && sent < max_points_per_reply; ++i, ++sent) {
    const SimPoint& p = points_[i];
    fmt::format_to(std::back_inserter(reply), "PT {},{},{},{},{},{},{},{},{},{},{}\n", p.index, fmt_real(p.time_s),
                   fmt_real(p.temperature_K), fmt_real(p.frequency_Hz), fmt_real(p.storage_Pa), fmt_real(p.loss_Pa),
                   fmt_real(p.tan_delta), fmt_real(p.strain_pct), fmt_real(p.force_N), fmt_real(p.torque_Nm),
                   p.torsion ? "TORSION" : "BENDING");
  }
  fmt::format_to(std::back_inserter(reply), "END {},{}\n", sent, points_.size());
  return reply;
}

std::string SimulatedRheometer::error_reply(int code, const std::string& message) {
  if (error_queue_.size() >= error_queue_capacity) {
    error_queue_.pop_front();
    error_queue_.emplace_back(-350, "Queue overflow");
  }
  error_queue_.emplace_back(code, message);
  return fmt::format("ERR {},{}\n", code, quote(message));
}

double SimulatedRheometer::run_seconds() const {
  return static_cast<double>(clock_.mono_ns() - run_start_mono_ns_) * 1e-9;
}

double SimulatedRheometer::temperature_at(double t_s) const {
  // program_ is piecewise linear and its corners are in time order; before the first and after
  // the last corner the oven holds.
  if (t_s <= program_.front().t_s) return program_.front().T_K;
  for (std::size_t i = 1; i < program_.size(); ++i) {
    const ProgramCorner& a = program_[i - 1];
    const ProgramCorner& b = program_[i];
    if (t_s < b.t_s) return a.T_K + (b.T_K - a.T_K) * (t_s - a.t_s) / (b.t_s - a.t_s);
  }
  return program_.back().T_K;
}

double SimulatedRheometer::mean_temperature(double from_s, double to_s) const {
  // Trapezoid rule over the acquisition window; T(t) is piecewise linear, so 32 intervals make
  // the error negligible next to the sensor's own scatter.
  constexpr int intervals = 32;
  const double h = (to_s - from_s) / intervals;
  double sum = 0.5 * (temperature_at(from_s) + temperature_at(to_s));
  for (int i = 1; i < intervals; ++i) sum += temperature_at(from_s + i * h);
  return sum / intervals;
}

bool SimulatedRheometer::next_slot(double& start_s, double& frequency_Hz) {
  const auto& c = run_config_;
  const std::size_t n = c.frequencies_Hz.size();
  if (c.program == ProgramKind::ramp) {
    if (slot_cursor_s_ >= program_end_s_) return false;  // T reached to_K: the ramp is over
    start_s = slot_cursor_s_;
  } else {
    if (step_cursor_ >= c.step_temperatures_K.size()) return false;
    start_s = std::max(slot_cursor_s_, step_sweep_start_s_[step_cursor_]);
  }
  frequency_Hz = c.frequencies_Hz[frequency_cursor_];
  slot_cursor_s_ = start_s + settle_per_point_s + (c.delay_cycles + c.acquisition_cycles) / frequency_Hz;
  if (++frequency_cursor_ == n) {
    frequency_cursor_ = 0;
    ++step_cursor_;
  }
  return true;
}

void SimulatedRheometer::advance_to_now() {
  if (state_ != State::running) return;
  const double now_s = run_seconds();
  const auto& c = run_config_;
  while (state_ == State::running) {
    const double saved_cursor = slot_cursor_s_;
    const std::size_t saved_frequency = frequency_cursor_, saved_step = step_cursor_;
    double start_s = 0, frequency_Hz = 0;
    if (!next_slot(start_s, frequency_Hz) || static_cast<std::int64_t>(points_.size()) >= max_points_per_run) {
      finish_run(State::done);
      return;
    }
    const double end_s = slot_cursor_s_;
    if (end_s > now_s) {  // this point is still being measured
      slot_cursor_s_ = saved_cursor;
      frequency_cursor_ = saved_frequency;
      step_cursor_ = saved_step;
      // No oscillation while the oven approaches, travels or soaks: f is 0 until the point starts.
      current_frequency_Hz_ = now_s >= start_s ? frequency_Hz : 0.0;
      return;
    }
    const double window_s = c.acquisition_cycles / frequency_Hz;
    const double mean_T_K = mean_temperature(end_s - window_s, end_s);
    points_.push_back(measure(static_cast<std::int64_t>(points_.size()) + 1, end_s, frequency_Hz, mean_T_K));
    log_event(run_start_mono_ns_ + static_cast<std::int64_t>(end_s * 1e9), "point", points_.back().index, "");
    run_max_T_K_ = std::max(run_max_T_K_, temperature_at(end_s));
    fire_faults(points_.back().index, end_s);
  }
}

SimPoint SimulatedRheometer::measure(std::int64_t index, double end_s, double frequency_Hz, double mean_T_K) {
  const auto& c = run_config_;
  std::normal_distribution<double> unit(0.0, 1.0);
  std::complex<double> modulus = c.torsion ? model_.shear_modulus_Pa(frequency_Hz, mean_T_K)
                                           : model_.youngs_modulus_Pa(frequency_Hz, mean_T_K);
  double magnitude = std::abs(modulus) * (1.0 + magnitude_noise * unit(rng_));
  double phase = std::arg(modulus) + phase_floor_rad + phase_noise_rad * unit(rng_);
  if (sample_lost_) {  // nothing left between the clamps but the fixture's compliance
    magnitude = collapse_factor * std::abs(modulus) * (1.0 + 0.2 * unit(rng_));
    phase = std::uniform_real_distribution<double>(0.1, 1.2)(rng_);
  }
  SimPoint p;
  p.index = index;
  p.time_s = end_s;
  p.temperature_K = mean_T_K + 0.02 * unit(rng_);
  p.frequency_Hz = frequency_Hz;
  p.storage_Pa = magnitude * std::cos(phase);
  p.loss_Pa = magnitude * std::sin(phase);
  p.tan_delta = p.loss_Pa / p.storage_Pa;
  p.strain_pct = c.strain_pct * (1.0 + 1e-3 * unit(rng_));
  p.torsion = c.torsion;
  const double strain = p.strain_pct / 100.0;
  const double width_m = c.width_mm * 1e-3, thickness_m = c.thickness_mm * 1e-3, length_m = c.length_mm * 1e-3;
  if (c.torsion) {
    // Saint-Venant torsion of a rectangular bar: T = G γ k1 w t², k1 ≈ (1 − 0.63 t/w) / 3.
    const double k1 = (1.0 - 0.63 * std::min(thickness_m / width_m, 1.0)) / 3.0;
    p.torque_Nm = magnitude * strain * k1 * width_m * thickness_m * thickness_m;
    p.force_N = c.static_force_N + 0.005 * unit(rng_);
  } else {
    // Three-point bending: F = (2/3) E w t² ε / L (surface strain ε at mid-span).
    p.force_N = 2.0 / 3.0 * magnitude * width_m * thickness_m * thickness_m * strain / length_m;
    p.torque_Nm = 0.0;
  }
  return p;
}

void SimulatedRheometer::fire_faults(std::int64_t index, double point_end_s) {
  for (auto it = pending_faults_.begin(); it != pending_faults_.end();) {
    if (it->at_index != index || (it->run_number != 0 && it->run_number != run_number_)) {
      ++it;
      continue;
    }
    static constexpr const char* fault_names[] = {"drop", "stall", "instrument_error", "lose_sample"};
    log_event(clock_.mono_ns(), "fault_switch", index, fault_names[static_cast<int>(it->kind)]);
    switch (it->kind) {
      case FaultKind::drop: drop_requested_ = true; break;
      case FaultKind::stall:
        stalled_until_ = std::chrono::steady_clock::now() +
                         std::chrono::nanoseconds(static_cast<std::int64_t>(it->stall_wall_s * 1e9));
        break;
      case FaultKind::lose_sample: sample_lost_ = true; break;
      case FaultKind::instrument_error:
        error_reply(it->error_code, it->error_code == 302 ? "Temperature control fault" : "Drive overload");
        finish_run(State::fault, point_end_s);  // the oven stopped with that point, not at the next command
        break;
    }
    it = pending_faults_.erase(it);
  }
}

void SimulatedRheometer::finish_run(State final_state, std::optional<double> at_s) {
  const double end_s = std::min(at_s.value_or(run_seconds()), program_end_s_);
  oven_K_ = temperature_at(end_s);  // the oven holds here until the next run moves it
  if (end_s >= approach_end_s_) run_max_T_K_ = std::max(run_max_T_K_, oven_K_);
  state_ = final_state;
  static constexpr const char* names[] = {"idle", "running", "done", "aborted", "fault"};
  log_event(clock_.mono_ns(), names[static_cast<int>(final_state)], static_cast<std::int64_t>(points_.size()), "");
  current_frequency_Hz_ = 0;
  model_.record_heating_history(run_max_T_K_);  // the anneal shows in the *next* heating
}

void SimulatedRheometer::inject_instrument_error(int code) {
  std::lock_guard lock(mutex_);
  advance_to_now();
  error_reply(code, code == 302 ? "Temperature control fault" : code == 310 ? "Sample lost" : "Drive overload");
  if (state_ == State::running) finish_run(State::fault);
}

void SimulatedRheometer::lose_sample() {
  std::lock_guard lock(mutex_);
  advance_to_now();
  sample_lost_ = true;
}

void SimulatedRheometer::schedule_fault(const PendingFault& fault) {
  std::lock_guard lock(mutex_);
  pending_faults_.push_back(fault);
}

bool SimulatedRheometer::take_drop_request() {
  std::lock_guard lock(mutex_);
  return std::exchange(drop_requested_, false);
}

std::chrono::steady_clock::time_point SimulatedRheometer::stalled_until() const {
  std::lock_guard lock(mutex_);
  return stalled_until_;
}

void SimulatedRheometer::stall_for_wall_s(double seconds) {
  std::lock_guard lock(mutex_);
  stalled_until_ = std::chrono::steady_clock::now() + std::chrono::nanoseconds(static_cast<std::int64_t>(seconds * 1e9));
}

void SimulatedRheometer::set_event_log(std::FILE* log) {
  std::lock_guard lock(mutex_);
  event_log_ = log;
  if (event_log_) std::fputs("t_mono_ns,event,run,index,detail\n", event_log_);
}

void SimulatedRheometer::log_event(std::int64_t mono_ns, std::string_view event, std::int64_t index,
                                   std::string_view detail) {
  if (event_log_) fmt::print(event_log_, "{},{},{},{},{}\n", mono_ns, event, run_number_, index, detail);
}

void SimulatedRheometer::log_exit() {
  std::lock_guard lock(mutex_);
  advance_to_now();  // what it measured up to now, asked for or not
  static constexpr const char* names[] = {"IDLE", "RUNNING", "DONE", "ABORTED", "FAULT"};
  log_event(clock_.mono_ns(), "exit", static_cast<std::int64_t>(points_.size()), names[static_cast<int>(state_)]);
  if (event_log_) std::fflush(event_log_);
}

std::string SimulatedRheometer::state_name() const {
  std::lock_guard lock(mutex_);
  static constexpr const char* names[] = {"IDLE", "RUNNING", "DONE", "ABORTED", "FAULT"};
  return names[static_cast<int>(state_)];
}

std::int64_t SimulatedRheometer::points_produced() const {
  std::lock_guard lock(mutex_);
  return static_cast<std::int64_t>(points_.size());
}

}  // namespace glasslab::sim::rheometer
