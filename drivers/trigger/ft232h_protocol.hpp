#pragma once
// FT232H wire format: pure encoders/decoders, no I/O. Every byte and request number is from
// /work/shared/reference/detector-trigger.md ("Trigger box: FTDI FT232H over libusb"), which
// takes them from libftdi (src/ftdi.h, src/ftdi.c); the MPSSE synchronisation (bad command 0xAA
// answered by 0xFA 0xAA) and the set-up opcodes 0x8A/0x97/0x8D/0x85/0x87 are from FTDI AN_108
// ("Command Processor for MPSSE and MCU Host Bus Emulation Modes").
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace glasslab::trigger::ft232h {

// USB ids (reference: vendor 0x0403; product 0x6014 FT232H).
constexpr std::uint16_t kVendorId = 0x0403;
constexpr std::uint16_t kProductIdFt232h = 0x6014;

// Vendor control transfers (reference: bmRequestType 0x40 host->device / 0xC0 device->host).
constexpr std::uint8_t kRequestTypeOut = 0x40;
constexpr std::uint8_t kRequestTypeIn = 0xC0;
constexpr std::uint8_t kRequestReset = 0x00;          // wValue 0 reset, 1 purge RX, 2 purge TX
constexpr std::uint8_t kRequestSetBaudrate = 0x03;
constexpr std::uint8_t kRequestSetLatencyTimer = 0x09;  // wValue = latency in ms
constexpr std::uint8_t kRequestSetBitmode = 0x0B;     // wValue = (mode << 8) | direction mask
constexpr std::uint8_t kRequestReadPins = 0x0C;       // IN, 1 byte
constexpr std::uint16_t kResetSio = 0;
constexpr std::uint16_t kResetPurgeRx = 1;
constexpr std::uint16_t kResetPurgeTx = 2;
constexpr std::uint16_t kInterfaceA = 1;              // wIndex = interface (A = 1)

// Bitmodes.
constexpr std::uint8_t kBitmodeReset = 0x00;
constexpr std::uint8_t kBitmodeBitbang = 0x01;
constexpr std::uint8_t kBitmodeMpsse = 0x02;
constexpr std::uint8_t kBitmodeSyncBitbang = 0x04;

// Bulk endpoints of interface A; each IN packet starts with 2 modem-status bytes.
constexpr std::uint8_t kEndpointOut = 0x02;
constexpr std::uint8_t kEndpointIn = 0x81;
constexpr std::size_t kModemStatusBytes = 2;
constexpr std::size_t kHighSpeedPacketBytes = 512;

// MPSSE opcodes.
constexpr std::uint8_t kMpsseSetLowByte = 0x80;    // 0x80 value direction -> ADBUS0..7
constexpr std::uint8_t kMpsseReadLowByte = 0x81;   // reply: 1 byte of ADBUS levels
constexpr std::uint8_t kMpsseSetHighByte = 0x82;   // ACBUS
constexpr std::uint8_t kMpsseReadHighByte = 0x83;
constexpr std::uint8_t kMpsseSendImmediate = 0x87; // flush the reply to the host now (AN_108)
constexpr std::uint8_t kMpsseDisableDivBy5 = 0x8A; // AN_108: 60 MHz master clock
constexpr std::uint8_t kMpsseDisableAdaptive = 0x97;
constexpr std::uint8_t kMpsseDisable3Phase = 0x8D;
constexpr std::uint8_t kMpsseLoopbackOff = 0x85;
constexpr std::uint8_t kMpsseBadCommand = 0xAA;    // any invalid opcode; answered 0xFA <opcode>
constexpr std::uint8_t kMpsseBadCommandReply = 0xFA;

// Wiring (reference, "Suggested wiring").
constexpr std::uint8_t kPinTriggerOut = 0x01;  // ADBUS0 -> TTL-to-LVDS driver -> detector TRIG_IN
constexpr std::uint8_t kPinReadback = 0x02;    // ADBUS1 <- LVDS receiver (+ pulse stretcher) <- TRIG_OUT
constexpr std::uint8_t kDirectionMask = kPinTriggerOut;  // 1 = output; everything else an input

/// One control transfer as the device sees it.
struct ControlRequest {
  std::uint8_t request_type = kRequestTypeOut;
  std::uint8_t request = 0;
  std::uint16_t value = 0;
  std::uint16_t index = kInterfaceA;
  std::uint16_t in_length = 0;  ///< bytes expected back for IN requests
  bool operator==(const ControlRequest&) const = default;
};

/// wValue of SET_BITMODE: (mode << 8) | direction mask (reference).
constexpr std::uint16_t bitmode_value(std::uint8_t mode, std::uint8_t mask) {
  return static_cast<std::uint16_t>((mode << 8) | mask);
}

/// RESET, purge RX, purge TX, SET_LATENCY_TIMER, SET_BITMODE reset, SET_BITMODE MPSSE (mask 0:
/// in MPSSE the 0x80 command sets directions).
std::vector<ControlRequest> mpsse_setup_requests(std::uint8_t latency_ms);

/// The bad-command probe AN_108 uses to synchronise with the MPSSE command processor.
std::string mpsse_sync_probe();
/// True when `payload` (modem status stripped) contains the 0xFA 0xAA answer.
bool is_mpsse_sync_reply(std::string_view payload);

/// Clock set-up (no divide-by-5, no adaptive or 3-phase clocking, loopback off) and the idle
/// pin state: ADBUS0 output low, all other pins inputs.
std::string mpsse_configure_pins();

/// `0x80 value direction`.
std::string set_low_byte(std::uint8_t value, std::uint8_t direction);

/// Number of repeated set-high commands that keep the line high for at least `width`, given the
/// assumed floor of one 0x80 command's execution time (docs/trigger-box.md, "Pulse width").
std::size_t pulse_repeat_count(std::chrono::microseconds width, std::chrono::nanoseconds command_floor);
/// One pulse on ADBUS0: `0x80 01 01` repeated, then `0x80 00 01`, in one bulk write.
std::string pulse_bytes(std::chrono::microseconds width, std::chrono::nanoseconds command_floor);

/// `0x81 0x87`: read ADBUS levels and flush the answer immediately.
std::string read_low_byte_command();

/// Removes the 2 modem-status bytes from the start of every `packet_bytes` packet of a bulk IN
/// transfer (libftdi's ftdi_read_data does the same).
std::string strip_modem_status(std::string_view raw, std::size_t packet_bytes = kHighSpeedPacketBytes);

}  // namespace glasslab::trigger::ft232h
