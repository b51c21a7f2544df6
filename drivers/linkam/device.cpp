// LinkamDevice: envelope checks, kelvin, CR acknowledgements and the comms-fault recovery policy
// (docs/linkam-protocol.md, "Recovery"). Wire facts: /work/shared/reference/linkam-t95.md.
#include "drivers/linkam/device.hpp"

#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace glasslab::linkam {

namespace {

constexpr double celsius_offset_K = 273.15;
// 'T' attempts during a resynchronisation and during the connect/reconnect handshake.
constexpr int resync_attempts = 3;
constexpr int handshake_attempts = 3;
// A command that keeps failing after successful recoveries is given up after this many rounds.
constexpr int max_transaction_rounds = 3;
// While draining stale bytes, stop after this much silence.
constexpr std::chrono::milliseconds drain_silence{30};

StageState to_stage_state(protocol::Sb1State state) {
  using protocol::Sb1State;
  switch (state) {
    case Sb1State::stopped: return StageState::stopped;
    case Sb1State::heating: return StageState::heating;
    case Sb1State::cooling: return StageState::cooling;
    case Sb1State::holding_limit: return StageState::holding_limit;
    case Sb1State::holding_limit_time: return StageState::holding_limit_time;
    case Sb1State::holding_current: return StageState::holding_current;
    case Sb1State::unknown: return StageState::unknown;
  }
  return StageState::unknown;
}

std::string describe_error_bits(int bits) {
  static constexpr std::pair<int, const char*> names[] = {
      {protocol::eb1::cooling_rate_too_fast, "cooling rate too fast"},
      {protocol::eb1::open_circuit, "open circuit"},
      {protocol::eb1::power_surge, "power surge"},
      {protocol::eb1::no_exit_300, "no exit 300"},
      {protocol::eb1::both_stages, "both stages"},
      {protocol::eb1::rs232_link_error, "RS-232 link error"}};
  std::string out;
  for (const auto& [bit, name] : names)
    if (bits & bit) out += (out.empty() ? "" : ", ") + std::string(name);
  return out.empty() ? "none" : out;
}

}  // namespace

std::string_view to_string(StageState state) {
  switch (state) {
    case StageState::stopped: return "stopped";
    case StageState::heating: return "heating";
    case StageState::cooling: return "cooling";
    case StageState::holding_limit: return "holding_limit";
    case StageState::holding_limit_time: return "holding_limit_time";
    case StageState::holding_current: return "holding_current";
    case StageState::unknown: return "unknown";
  }
  return "unknown";
}

StageStatus to_stage_status(const protocol::StatusReply& reply) {
  StageStatus status;
  status.temperature_K = reply.temperature_C() + celsius_offset_K;
  status.state = to_stage_state(reply.state);
  status.status_byte = reply.sb1;
  status.error_bits = reply.eb1 & 0x7F;
  status.cooling_rate_too_fast = reply.has_error(protocol::eb1::cooling_rate_too_fast);
  status.open_circuit = reply.has_error(protocol::eb1::open_circuit);
  status.power_surge = reply.has_error(protocol::eb1::power_surge);
  status.pump_speed = reply.pump_speed;
  status.pump_automatic = reply.pump_automatic;
  return status;
}

LinkamDevice::LinkamDevice(std::unique_ptr<transport::ByteTransport> transport, DeviceOptions options,
                           std::function<void(const DeviceEvent&)> on_event)
    : transport_(std::move(transport)),
      options_(options),
      on_event_(std::move(on_event)),
      rate_K_per_min_(std::numeric_limits<double>::quiet_NaN()),
      limit_K_(std::numeric_limits<double>::quiet_NaN()) {
  if (!transport_) throw DeviceError("LinkamDevice: no transport given");
  if (options_.max_reconnect_attempts < 0 || options_.reply_timeout.count() <= 0)
    throw DeviceError(fmt::format("{}: invalid device options (reply_timeout {} ms, max_reconnect_attempts {})",
                                  transport_->description(), options_.reply_timeout.count(),
                                  options_.max_reconnect_attempts));
}

LinkamDevice::~LinkamDevice() {
  try {
    std::lock_guard lock(mutex_);
    transport_->close();
  } catch (...) {
    // Destructors never throw; close() is noexcept already, the lock cannot fail in practice.
  }
}

std::string LinkamDevice::description() const { return transport_->description(); }

void LinkamDevice::emit(std::string kind, std::string message, bool is_fault) {
  if (!on_event_) return;
  try {
    on_event_(DeviceEvent{std::move(kind), std::move(message), is_fault});
  } catch (...) {
    // A failing observer must not break the instrument's recovery.
  }
}

void LinkamDevice::require_connected(const char* operation) const {
  if (!connected_)
    throw DeviceError(fmt::format("{}: Linkam {} before connect()", transport_->description(), operation));
}

// --- raw transactions ---------------------------------------------------------------------------

protocol::StatusReply LinkamDevice::status_transaction() {
  transport_->write(protocol::encode_status(), options_.reply_timeout);
  // Wait for the CR, not a fixed time (reference: the reply takes about 8 ms on the wire).
  const std::string reply = transport_->read_until(protocol::terminator, options_.reply_timeout);
  return protocol::decode_status(reply);
}

void LinkamDevice::command_transaction(const std::string& command) {
  transport_->write(command, options_.reply_timeout);
  // A command without data is acknowledged by a bare CR; not reading it misaligns the next reply.
  const std::string reply = transport_->read_until(protocol::terminator, options_.reply_timeout);
  if (!protocol::is_acknowledgement(reply))
    throw ProtocolError(fmt::format("{}: command {} expected a bare CR acknowledgement, got [{}]",
                                    transport_->description(), protocol::to_hex(command), protocol::to_hex(reply)));
}

// --- connect and status --------------------------------------------------------------------------

protocol::StatusReply LinkamDevice::handshake(int attempts) {
  std::string last_problem = "no attempt made";
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    try {
      return status_transaction();
    } catch (const transport::DisconnectedError&) {
      throw;
    } catch (const Error& e) {
      last_problem = e.what();
      drain_and_flush();
    }
  }
  throw DeviceError(fmt::format("{}: no valid 'T' reply in {} attempts: {}", transport_->description(), attempts,
                                last_problem));
}

void LinkamDevice::connect() {
  std::lock_guard lock(mutex_);
  try {
    transport_->open();
    transport_->flush();
    note_disturbance();  // the handshake's replies are the connection's, not readings
    // The T95 ignores every command until it has seen a first 'T' (reference, "Line settings").
    const auto status = handshake(handshake_attempts);
    connected_ = true;
    note_stage_errors(status);
    emit("connected", fmt::format("{}: Linkam T95 answered, {} at {:.1f} K", transport_->description(),
                                  protocol::to_string(status.state), status.temperature_C() + celsius_offset_K),
         false);
  } catch (const Error& e) {
    transport_->close();
    throw DeviceError(fmt::format("{}: cannot connect to the Linkam T95: {}", transport_->description(), e.what()));
  }
}

StageStatus LinkamDevice::read_status() {
  std::lock_guard lock(mutex_);
  require_connected("read_status");
  const auto reply = status_with_recovery();
  note_stage_errors(reply);
  auto status = to_stage_status(reply);
  status.line_disturbances = disturbances_.load();
  return status;
}

void LinkamDevice::note_stage_errors(const protocol::StatusReply& status) {
  // Report changes of EB1 only, so a persistent open circuit is one event, not one per poll.
  const int bits = status.eb1 & 0x7F;
  if (bits == last_error_bits_) return;
  if (bits != 0)
    emit("stage_error", fmt::format("{}: EB1 0x{:02X}: {}", transport_->description(), status.eb1,
                                    describe_error_bits(bits)), true);
  else
    emit("stage_error_cleared", fmt::format("{}: EB1 0x80, no error", transport_->description()), false);
  last_error_bits_ = bits;
}

// --- transactions with recovery -----------------------------------------------------------------

protocol::StatusReply LinkamDevice::status_with_recovery() {
  bool reconnect = !transport_->is_open();
  std::string cause = "transport closed";
  if (!reconnect) {
    try {
      return status_transaction();
    } catch (const transport::DisconnectedError& e) {
      reconnect = true;
      cause = e.what();
    } catch (const Error& e) {  // timeout, short or garbled reply, failed system call
      cause = e.what();
    }
  }
  note_disturbance();
  emit("comms_fault", cause, true);
  // recover() ends with a valid 'T' reply (resync or reconnect handshake): that is the status.
  return recover(reconnect, cause);
}

void LinkamDevice::command_with_recovery(const std::string& command,
                                         const std::function<bool(const protocol::StatusReply&)>& skip_if) {
  std::string cause;
  for (int round = 1;; ++round) {
    bool reconnect = !transport_->is_open();
    try {
      if (!reconnect) {
        command_transaction(command);
        return;
      }
      cause = "transport closed";
    } catch (const transport::DisconnectedError& e) {
      reconnect = true;
      cause = e.what();
    } catch (const Error& e) {
      cause = e.what();
    }
    note_disturbance();
    emit("comms_fault", fmt::format("command {}: {}", protocol::to_hex(command), cause), true);
    if (round >= max_transaction_rounds)
      throw DeviceError(fmt::format("{}: command [{}] failed {} times in a row: {}", transport_->description(),
                                    protocol::to_hex(command), round, cause));
    const auto status = recover(reconnect, cause);
    // The command may have reached the controller before its acknowledgement was lost.
    if (skip_if && skip_if(status)) return;
  }
}

// --- recovery ------------------------------------------------------------------------------------

void LinkamDevice::drain_and_flush() {
  // A late reply may still be on its way: let it arrive and throw it away, so the next 'T' is not
  // answered by a stale line (which would leave every later reply one behind).
  try {
    for (int lines = 0; lines < 16; ++lines) transport_->read_until(protocol::terminator, drain_silence);
  } catch (const transport::TimeoutError&) {
    // silence: drained
  }
  transport_->flush();
}

std::optional<protocol::StatusReply> LinkamDevice::resynchronise() {
  for (int attempt = 1; attempt <= resync_attempts; ++attempt) {
    // The safety thread waits for the line: give it up between two 'T's, as in a back-off.
    if (abandon_recovery_)
      throw DeviceError(fmt::format("{}: recovery abandoned for the safe state", transport_->description()));
    try {
      drain_and_flush();
      auto status = status_transaction();
      emit("resynchronised", fmt::format("{}: valid 'T' reply after {} attempt(s)", transport_->description(), attempt),
           false);
      return status;
    } catch (const transport::DisconnectedError&) {
      return std::nullopt;
    } catch (const Error&) {
      // try again: another 'T'
    }
  }
  return std::nullopt;
}

protocol::StatusReply LinkamDevice::recover(bool reconnect, const std::string& cause) {
  if (!reconnect) {
    emit("resync", fmt::format("{}: flushing and resynchronising with 'T'", transport_->description()), false);
    if (auto status = resynchronise()) return *status;
  }
  return reconnect_with_backoff(cause);
}

bool LinkamDevice::sleep_unless_abandoned(std::chrono::milliseconds duration) {
  std::unique_lock lock(sleep_mutex_);
  return !sleep_cv_.wait_for(lock, duration, [this] { return abandon_recovery_.load(); });
}

protocol::StatusReply LinkamDevice::reconnect_with_backoff(const std::string& cause) {
  auto backoff = options_.first_backoff;
  std::string last_problem = cause;
  for (int attempt = 1; attempt <= options_.max_reconnect_attempts; ++attempt) {
    emit("reconnect_attempt", fmt::format("{}: reconnect attempt {} of {} in {} ms", transport_->description(), attempt,
                                          options_.max_reconnect_attempts, backoff.count()), false);
    if (!sleep_unless_abandoned(backoff))
      throw DeviceError(fmt::format("{}: recovery abandoned for the safe state ({})", transport_->description(), cause));
    try {
      transport_->close();
      transport_->open();
      transport_->flush();
      auto status = handshake(handshake_attempts);  // 'T' first, as on connect
      emit("reconnected", fmt::format("{}: reconnected on attempt {}", transport_->description(), attempt), false);
      push_state(status);
      return status;
    } catch (const Error& e) {
      last_problem = e.what();
      emit("reconnect_failed", fmt::format("attempt {}: {}", attempt, last_problem), true);
    }
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
  throw DeviceError(fmt::format("{}: Linkam T95 unreachable after {} reconnect attempts; last problem: {}",
                                transport_->description(), options_.max_reconnect_attempts, last_problem));
}

void LinkamDevice::push_state(const protocol::StatusReply& status) {
  // After a reconnect the controller may have been power-cycled: send again what the host last
  // asked for. Raw transactions: a failure here fails this reconnect attempt.
  std::string pushed;
  const auto send = [&](const std::string& command) {
    command_transaction(command);
    pushed += (pushed.empty() ? "" : " ") + command.substr(0, command.size() - 1);
  };
  if (rate_hundredths_) send(protocol::encode_rate(protocol::rate_from_wire(*rate_hundredths_)));
  if (limit_tenths_) send(protocol::encode_limit(protocol::limit_from_wire(*limit_tenths_)));
  if (pump_mode_ == PumpMode::automatic) send(protocol::encode_pump_automatic());
  if (pump_mode_ == PumpMode::manual) {
    send(protocol::encode_pump_manual());
    if (pump_speed_) send(protocol::encode_pump_speed(*pump_speed_));
  }
  switch (run_state_) {
    case RunState::started: send(protocol::encode_start()); break;  // S again: re-arms the ramp
    case RunState::held:  // O is not idempotent ("while holding ... change function"): only if not held
      if (status.state != protocol::Sb1State::holding_current) send(protocol::encode_hold());
      break;
    case RunState::stopped:
      if (status.state != protocol::Sb1State::stopped) send(protocol::encode_stop());
      break;
    case RunState::forced_heating: send(protocol::encode_heat()); break;
    case RunState::forced_cooling: send(protocol::encode_cool()); break;
    case RunState::unknown: break;
  }
  emit("state_restored", fmt::format("{}: re-sent [{}]", transport_->description(), pushed.empty() ? "nothing" : pushed),
       false);
}

// --- commands ------------------------------------------------------------------------------------

void LinkamDevice::refuse(const std::string& what, double value, const std::string& limit_text) {
  const std::string message =
      fmt::format("{}: refused {} {} ({}); nothing was sent", transport_->description(), what, value, limit_text);
  emit("refused_value", message, false);
  throw DeviceError(message);
}

void LinkamDevice::set_rate_K_per_min(double rate) {
  std::lock_guard lock(mutex_);
  const auto& envelope = options_.envelope;
  if (!std::isfinite(rate) || rate < envelope.min_rate_K_per_min)
    refuse("rate K/min", rate, fmt::format("below the envelope minimum {} K/min", envelope.min_rate_K_per_min));
  if (rate > envelope.max_rate_K_per_min)
    refuse("rate K/min", rate, fmt::format("above the envelope maximum {} K/min", envelope.max_rate_K_per_min));
  require_connected("set_rate_K_per_min");
  // A rate in K/min is the same number in °C/min; the wire carries hundredths (rounded).
  const int hundredths = protocol::rate_to_wire(rate);
  rate_hundredths_ = hundredths;  // remembered first, so a recovery re-pushes the new value
  rate_K_per_min_ = protocol::rate_from_wire(hundredths);
  command_with_recovery(protocol::encode_rate(protocol::rate_from_wire(hundredths)));
}

void LinkamDevice::set_limit_K(double limit) {
  std::lock_guard lock(mutex_);
  const auto& envelope = options_.envelope;
  if (!std::isfinite(limit) || limit < envelope.min_K)
    refuse("limit K", limit, fmt::format("below the envelope minimum {} K", envelope.min_K));
  if (limit > envelope.max_K) refuse("limit K", limit, fmt::format("above the envelope maximum {} K", envelope.max_K));
  require_connected("set_limit_K");
  const int tenths = protocol::limit_to_wire(limit - celsius_offset_K);
  limit_tenths_ = tenths;
  limit_K_ = protocol::limit_from_wire(tenths) + celsius_offset_K;
  command_with_recovery(protocol::encode_limit(protocol::limit_from_wire(tenths)));
}

void LinkamDevice::run_command(const std::string& command, RunState new_state) {
  std::lock_guard lock(mutex_);
  require_connected("command");
  run_state_ = new_state;
  if (new_state == RunState::held)
    command_with_recovery(command, [](const protocol::StatusReply& s) {
      return s.state == protocol::Sb1State::holding_current;
    });
  else
    command_with_recovery(command);
}

void LinkamDevice::start() { run_command(protocol::encode_start(), RunState::started); }
void LinkamDevice::stop() { run_command(protocol::encode_stop(), RunState::stopped); }
void LinkamDevice::hold() { run_command(protocol::encode_hold(), RunState::held); }
void LinkamDevice::heat() { run_command(protocol::encode_heat(), RunState::forced_heating); }
void LinkamDevice::cool() { run_command(protocol::encode_cool(), RunState::forced_cooling); }

void LinkamDevice::set_pump_automatic() {
  std::lock_guard lock(mutex_);
  require_connected("set_pump_automatic");
  pump_mode_ = PumpMode::automatic;
  command_with_recovery(protocol::encode_pump_automatic());
}

void LinkamDevice::set_pump_manual() {
  std::lock_guard lock(mutex_);
  require_connected("set_pump_manual");
  pump_mode_ = PumpMode::manual;
  command_with_recovery(protocol::encode_pump_manual());
}

void LinkamDevice::set_pump_speed(int speed_0_to_30) {
  std::lock_guard lock(mutex_);
  if (speed_0_to_30 < protocol::min_pump_speed || speed_0_to_30 > protocol::max_pump_speed)
    refuse("pump speed", speed_0_to_30,
           fmt::format("outside {}..{}", protocol::min_pump_speed, protocol::max_pump_speed));
  require_connected("set_pump_speed");
  pump_speed_ = speed_0_to_30;
  command_with_recovery(protocol::encode_pump_speed(speed_0_to_30));
}

std::optional<protocol::StatusReply> LinkamDevice::safe_state_handshake() {
  // 'T' first: after a reconnect the T95 ignores everything else, and it tells whether the stage
  // already holds (O again would not be idempotent). One reopen if the line is dead.
  note_disturbance();  // its replies go to the safe state, not to the readings
  for (int tries = 0; tries < 2; ++tries) {
    try {
      if (!transport_->is_open()) {
        transport_->open();
        transport_->flush();
      }
      return handshake(handshake_attempts);
    } catch (const transport::DisconnectedError&) {
      transport_->close();
      if (tries == 1) throw;
    }
  }
  return std::nullopt;
}

SafeStateResult LinkamDevice::send_safe_state(SafeState state) {
  const bool hold_requested = state == SafeState::hold;
  const char* name = hold_requested ? "hold (O)" : "stop (E)";
  std::optional<protocol::StatusReply> status;
  try {
    status = safe_state_handshake();
  } catch (const transport::DisconnectedError&) {
    throw;
  } catch (const Error& e) {
    // The line is open but no valid status came back (late or garbled replies). The controller
    // has seen our 'T's, so it listens: E is safe to send blind, O is not (not idempotent).
    if (!transport_->is_open()) throw;
    drain_and_flush();
    transport_->write(protocol::encode_stop(), options_.reply_timeout);
    run_state_ = RunState::stopped;
    emit("safe_state_blind",
         fmt::format("{}: no valid status ({}); sent stop (E) blind{}, unconfirmed", transport_->description(),
                     e.what(), hold_requested ? " instead of hold (O needs the stage's state)" : ""),
         true);
    return SafeStateResult::sent_blind;
  }
  if (hold_requested && status && status->state == protocol::Sb1State::holding_current) {
    run_state_ = RunState::held;
  } else {
    command_transaction(hold_requested ? protocol::encode_hold() : protocol::encode_stop());
    run_state_ = hold_requested ? RunState::held : RunState::stopped;
  }
  emit("safe_state", fmt::format("{}: safe state {} reached", transport_->description(), name), false);
  return SafeStateResult::confirmed;
}

bool LinkamDevice::enter_safe_state(SafeState state, std::optional<std::chrono::milliseconds> line_wait) noexcept {
  return try_safe_state(state, line_wait) == SafeStateResult::confirmed;
}

SafeStateResult LinkamDevice::try_safe_state(SafeState state,
                                             std::optional<std::chrono::milliseconds> line_wait) noexcept {
  const char* name = state == SafeState::hold ? "hold (O)" : "stop (E)";
  try {
    abandon_recovery_ = true;  // a recovery in another thread gives up at its next back-off
    sleep_cv_.notify_all();
    std::unique_lock lock(mutex_, std::defer_lock);
    if (!line_wait) {
      lock.lock();
    } else if (!lock.try_lock_for(*line_wait)) {
      // Another transaction holds the line this long: a stuck call. The recovery stays
      // abandoned, so the next attempt finds the line free.
      emit("safe_state_failed", fmt::format("{}: could not {}: the line was busy for {} ms (a stuck call)",
                                            transport_->description(), name, line_wait->count()), true);
      return SafeStateResult::not_sent;
    }
    abandon_recovery_ = false;
    try {
      return send_safe_state(state);
    } catch (const std::exception& e) {
      emit("safe_state_failed", fmt::format("{}: could not {}: {}", transport_->description(), name, e.what()), true);
    }
  } catch (...) {
    // never throws: the engine calls this from its exit paths
  }
  return SafeStateResult::not_sent;
}

}  // namespace glasslab::linkam
