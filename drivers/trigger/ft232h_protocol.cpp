#include "drivers/trigger/ft232h_protocol.hpp"

namespace glasslab::trigger::ft232h {

std::vector<ControlRequest> mpsse_setup_requests(std::uint8_t latency_ms) {
  // Order as libftdi's ftdi_usb_reset / ftdi_tcioflush / ftdi_set_latency_timer /
  // ftdi_set_bitmode(BITMODE_RESET) / ftdi_set_bitmode(BITMODE_MPSSE) (reference bytes).
  return {
      {kRequestTypeOut, kRequestReset, kResetSio, kInterfaceA, 0},
      {kRequestTypeOut, kRequestReset, kResetPurgeRx, kInterfaceA, 0},
      {kRequestTypeOut, kRequestReset, kResetPurgeTx, kInterfaceA, 0},
      {kRequestTypeOut, kRequestSetLatencyTimer, latency_ms, kInterfaceA, 0},
      {kRequestTypeOut, kRequestSetBitmode, bitmode_value(kBitmodeReset, 0x00), kInterfaceA, 0},
      {kRequestTypeOut, kRequestSetBitmode, bitmode_value(kBitmodeMpsse, 0x00), kInterfaceA, 0},
  };
}

std::string mpsse_sync_probe() { return std::string(1, static_cast<char>(kMpsseBadCommand)); }

bool is_mpsse_sync_reply(std::string_view payload) {
  for (std::size_t i = 0; i + 1 < payload.size(); ++i)
    if (static_cast<std::uint8_t>(payload[i]) == kMpsseBadCommandReply &&
        static_cast<std::uint8_t>(payload[i + 1]) == kMpsseBadCommand)
      return true;
  return false;
}

std::string set_low_byte(std::uint8_t value, std::uint8_t direction) {
  return {static_cast<char>(kMpsseSetLowByte), static_cast<char>(value), static_cast<char>(direction)};
}

std::string mpsse_configure_pins() {
  std::string out{static_cast<char>(kMpsseDisableDivBy5), static_cast<char>(kMpsseDisableAdaptive),
                  static_cast<char>(kMpsseDisable3Phase), static_cast<char>(kMpsseLoopbackOff)};
  out += set_low_byte(0x00, kDirectionMask);
  return out;
}

std::size_t pulse_repeat_count(std::chrono::microseconds width, std::chrono::nanoseconds command_floor) {
  const auto width_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(width).count();
  const auto floor_ns = std::max<std::int64_t>(1, command_floor.count());
  // The line rises at the first set-high command and falls at the set-low that follows the
  // last repeat, so N set-high commands hold it high for at least N command times.
  return static_cast<std::size_t>(std::max<std::int64_t>(1, (width_ns + floor_ns - 1) / floor_ns));
}

std::string pulse_bytes(std::chrono::microseconds width, std::chrono::nanoseconds command_floor) {
  const std::size_t repeats = pulse_repeat_count(width, command_floor);
  const std::string high = set_low_byte(kPinTriggerOut, kDirectionMask);
  std::string out;
  out.reserve(3 * (repeats + 1));
  for (std::size_t i = 0; i < repeats; ++i) out += high;
  out += set_low_byte(0x00, kDirectionMask);
  return out;
}

std::string read_low_byte_command() {
  return {static_cast<char>(kMpsseReadLowByte), static_cast<char>(kMpsseSendImmediate)};
}

std::string strip_modem_status(std::string_view raw, std::size_t packet_bytes) {
  std::string out;
  for (std::size_t start = 0; start < raw.size(); start += packet_bytes) {
    const std::size_t end = std::min(raw.size(), start + packet_bytes);
    if (end - start > kModemStatusBytes) out.append(raw.substr(start + kModemStatusBytes, end - start - kModemStatusBytes));
  }
  return out;
}

}  // namespace glasslab::trigger::ft232h
