// Linkam T95 legacy serial protocol: encode commands, decode the 'T' reply.
// Source of every byte: /work/shared/reference/linkam-t95.md (cited by section below).
#include "drivers/linkam/protocol.hpp"

#include <cmath>

#include <fmt/format.h>

#include "core/error.hpp"

namespace glasslab::linkam::protocol {

namespace {

std::string with_cr(std::string command) {
  command += terminator;
  return command;
}

// Nearest integer, half away from zero (std::lround). Kept in one place so the rounding rule
// documented in docs/linkam-protocol.md is the only one the driver uses.
long round_to_step(double value, double step) {
  return std::lround(value / step);
}

int hex_digit_value(char c) {
  // The controller sends uppercase ASCII hex (reference, "'T' reply", bytes 6..9).
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

[[noreturn]] void malformed(std::string_view reply, std::string_view why) {
  throw ProtocolError(fmt::format("Linkam 'T' reply [{}] ({} bytes): {}", to_hex(reply), reply.size(), why));
}

}  // namespace

int rate_to_wire(double rate_C_per_min) {
  if (!std::isfinite(rate_C_per_min))
    throw ProtocolError(fmt::format("Linkam rate {} °C/min is not a finite number", rate_C_per_min));
  const long hundredths = round_to_step(rate_C_per_min, rate_step_C_per_min);
  if (hundredths < min_rate_hundredths || hundredths > max_rate_hundredths)
    throw ProtocolError(fmt::format("Linkam rate {} °C/min rounds to R1{}, outside {}..{} (0.01 °C/min steps)",
                                    rate_C_per_min, hundredths, min_rate_hundredths, max_rate_hundredths));
  return static_cast<int>(hundredths);
}

int limit_to_wire(double limit_C) {
  if (!std::isfinite(limit_C))
    throw ProtocolError(fmt::format("Linkam limit {} °C is not a finite number", limit_C));
  const long tenths = round_to_step(limit_C, limit_step_C);
  if (tenths < min_limit_tenths || tenths > max_limit_tenths)
    throw ProtocolError(fmt::format("Linkam limit {} °C rounds to L1{}, outside the signed 16-bit range of tenths",
                                    limit_C, tenths));
  return static_cast<int>(tenths);
}

double rate_from_wire(int hundredths) { return hundredths * rate_step_C_per_min; }
double limit_from_wire(int tenths) { return tenths * limit_step_C; }

// Commands (reference, "Commands"). Case sensitive, each ends in CR.
std::string encode_status() { return with_cr("T"); }
std::string encode_rate(double rate_C_per_min) { return with_cr(fmt::format("R1{}", rate_to_wire(rate_C_per_min))); }
// Negative limits carry a leading minus after "L1": L1-1960 = -196.0 °C.
std::string encode_limit(double limit_C) { return with_cr(fmt::format("L1{}", limit_to_wire(limit_C))); }
std::string encode_start() { return with_cr("S"); }
std::string encode_stop() { return with_cr("E"); }
std::string encode_hold() { return with_cr("O"); }
std::string encode_heat() { return with_cr("H"); }
std::string encode_cool() { return with_cr("C"); }
std::string encode_pump_automatic() { return with_cr("Pa0"); }
std::string encode_pump_manual() { return with_cr("Pm0"); }

std::string encode_pump_speed(int speed_0_to_30) {
  if (speed_0_to_30 < min_pump_speed || speed_0_to_30 > max_pump_speed)
    throw ProtocolError(fmt::format("Linkam pump speed {} outside {}..{}", speed_0_to_30, min_pump_speed, max_pump_speed));
  // P<c>, c = chr(0x30 + speed): P0 off, P9, P:..P@, PA..PN (30).
  std::string command = "P";
  command += static_cast<char>(0x30 + speed_0_to_30);
  return with_cr(command);
}

namespace {

Sb1State state_from_sb1(std::uint8_t sb1) {
  // Only the high nibble names the state; 0x11, 0x21, 0x31 have been seen on real units.
  switch (sb1 & 0xF0) {
    case 0x00: return Sb1State::stopped;  // 0x01
    case 0x10: return Sb1State::heating;
    case 0x20: return Sb1State::cooling;
    case 0x30: return Sb1State::holding_limit;
    case 0x40: return Sb1State::holding_limit_time;
    case 0x50: return Sb1State::holding_current;
    default: return Sb1State::unknown;
  }
}

int decode_temperature_tenths(std::string_view reply) {
  // Bytes 6..9: temperature × 10, signed 16-bit two's complement, four uppercase hex digits.
  unsigned raw = 0;
  for (std::size_t i = 6; i < 10; ++i) {
    const int digit = hex_digit_value(reply[i]);
    if (digit < 0) malformed(reply, fmt::format("byte {} is not an uppercase hex digit", i));
    raw = (raw << 4) | static_cast<unsigned>(digit);
  }
  return raw >= 0x8000 ? static_cast<int>(raw) - 0x10000 : static_cast<int>(raw);
}

}  // namespace

StatusReply decode_status(std::string_view reply) {
  if (!reply.empty() && reply.back() == terminator) reply.remove_suffix(1);
  if (reply.size() != status_reply_length)
    malformed(reply, fmt::format("expected {} bytes before the CR", status_reply_length));
  const auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(reply[i]); };
  // EB1 and PB1 always carry bit 7; GS1 too "by default" but it is motor-stage only, so it is
  // not checked. SB1 has no bit 7 (0x01..0x5x): a set bit 7 there means misalignment.
  if (byte(0) & 0x80) malformed(reply, "SB1 (byte 0) has bit 7 set");
  if (!(byte(1) & eb1::always_set)) malformed(reply, "EB1 (byte 1) is missing bit 7");
  if (!(byte(2) & pb1::always_set)) malformed(reply, "PB1 (byte 2) is missing bit 7");

  StatusReply status;
  status.sb1 = byte(0);
  status.state = state_from_sb1(status.sb1);
  status.eb1 = byte(1);
  status.pb1 = byte(2);
  status.pump_speed = status.pb1 & pb1::speed_mask;
  status.pump_automatic = (status.pb1 & pb1::automatic_offset) != 0;
  status.gs1 = byte(3);
  status.temperature_tenths_C = decode_temperature_tenths(reply);
  return status;
}

bool is_acknowledgement(std::string_view reply_without_cr) { return reply_without_cr.empty(); }

std::string to_hex(std::string_view bytes) {
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i) out += ' ';
    out += fmt::format("{:02X}", static_cast<std::uint8_t>(bytes[i]));
  }
  return out;
}

std::string_view to_string(Sb1State state) {
  switch (state) {
    case Sb1State::stopped: return "stopped";
    case Sb1State::heating: return "heating";
    case Sb1State::cooling: return "cooling";
    case Sb1State::holding_limit: return "holding_limit";
    case Sb1State::holding_limit_time: return "holding_limit_time";
    case Sb1State::holding_current: return "holding_current";
    case Sb1State::unknown: return "unknown";
  }
  return "unknown";
}

}  // namespace glasslab::linkam::protocol
