#pragma once
// Pure encode/decode of the Linkam T95 / TMS94 / CI94 legacy serial protocol. No I/O.
// Every byte here comes from /work/shared/reference/linkam-t95.md (Linkam "RS 232 Communications
// Manual" v2.4), section by section; see docs/linkam-protocol.md for the wire format as implemented.
//
// Units on this layer are the wire's own (°C and °C/min); the device layer converts to kelvin.
#include <cstdint>
#include <string>
#include <string_view>

namespace glasslab::linkam::protocol {

/// Every command and every reply ends in CR (reference, "Line settings").
inline constexpr char terminator = '\r';

/// The wire's resolutions (reference, "Commands"): rate in 0.01 °C/min, limit in 0.1 °C.
inline constexpr double rate_step_C_per_min = 0.01;
inline constexpr double limit_step_C = 0.1;
/// The fields are plain decimal integers without padding (`R12000`, `L11250`, `L1-1960`).
/// Rate: "minimum 1 (0.01 °C/min)"; the upper bound is ours (a sanity guard far above any stage's
/// 150 °C/min). Limit: the range a 'T' reply can report (signed 16-bit tenths), nothing wider.
inline constexpr int min_rate_hundredths = 1;
inline constexpr int max_rate_hundredths = 99999;
inline constexpr int min_limit_tenths = -32768;
inline constexpr int max_limit_tenths = 32767;

/// Pump speed range in manual mode: P0 .. PN (chr(0x30 + speed)).
inline constexpr int min_pump_speed = 0;
inline constexpr int max_pump_speed = 30;

// --- rounding: explicit, documented in docs/linkam-protocol.md ---------------------------------
/// Rate in °C/min to the integer the wire carries (hundredths), rounded to the nearest step
/// (half away from zero). Throws ProtocolError if the result is outside 1..99999.
int rate_to_wire(double rate_C_per_min);
/// Limit in °C to tenths of a degree, rounded to the nearest step (half away from zero).
/// Throws ProtocolError outside -3276.8..3276.7 °C.
int limit_to_wire(double limit_C);
/// What the controller will actually use once a value has been rounded to the wire.
double rate_from_wire(int hundredths);
double limit_from_wire(int tenths);

// --- commands (each returned string includes the trailing CR) -----------------------------------
std::string encode_status();                       ///< "T\r"
std::string encode_rate(double rate_C_per_min);    ///< "R1nnnn\r", °C/min × 100
std::string encode_limit(double limit_C);          ///< "L1nnnn\r" / "L1-nnnn\r", °C × 10
std::string encode_start();                        ///< "S\r"
std::string encode_stop();                         ///< "E\r"
std::string encode_hold();                         ///< "O\r"
std::string encode_heat();                         ///< "H\r" (T95 only)
std::string encode_cool();                         ///< "C\r" (T95 only)
std::string encode_pump_automatic();               ///< "Pa0\r"
std::string encode_pump_manual();                  ///< "Pm0\r"
std::string encode_pump_speed(int speed_0_to_30);  ///< "P" + chr(0x30 + speed) + "\r"

// --- the 'T' reply -------------------------------------------------------------------------------
/// SB1 high nibble (reference, "'T' reply", byte 0). Low-nibble bits are tolerated and ignored.
enum class Sb1State : std::uint8_t {
  stopped = 0x00,             // 0x01 on the wire: high nibble 0
  heating = 0x10,
  cooling = 0x20,
  holding_limit = 0x30,       // end of ramp, holds the limit indefinitely
  holding_limit_time = 0x40,
  holding_current = 0x50,     // after 'O'
  unknown = 0xF0,             // any other high nibble (reported, not rejected)
};

/// EB1 bits (reference, byte 1). Bit 7 is always set on the wire.
namespace eb1 {
inline constexpr std::uint8_t always_set = 0x80;
inline constexpr std::uint8_t cooling_rate_too_fast = 0x01;
inline constexpr std::uint8_t open_circuit = 0x02;
inline constexpr std::uint8_t power_surge = 0x04;
inline constexpr std::uint8_t no_exit_300 = 0x08;
inline constexpr std::uint8_t both_stages = 0x10;
inline constexpr std::uint8_t rs232_link_error = 0x20;
}  // namespace eb1

/// PB1 (byte 2): speed 0..30 with bit 7 set; automatic mode adds 0x40; mask with 0x1F.
namespace pb1 {
inline constexpr std::uint8_t always_set = 0x80;
inline constexpr std::uint8_t automatic_offset = 0x40;
inline constexpr std::uint8_t speed_mask = 0x1F;
}  // namespace pb1

inline constexpr std::size_t status_reply_length = 10;  ///< bytes before the CR

struct StatusReply {
  std::uint8_t sb1 = 0;          ///< raw byte 0
  Sb1State state = Sb1State::unknown;
  std::uint8_t eb1 = 0;          ///< raw byte 1 (bit 7 set)
  std::uint8_t pb1 = 0;          ///< raw byte 2
  int pump_speed = 0;            ///< pb1 & 0x1F
  bool pump_automatic = false;   ///< pb1 & 0x40
  std::uint8_t gs1 = 0;          ///< raw byte 3
  int temperature_tenths_C = 0;  ///< signed, from the four hex digits
  double temperature_C() const { return temperature_tenths_C / 10.0; }
  bool has_error(std::uint8_t eb1_bit) const { return (eb1 & eb1_bit) != 0; }
};

/// Decodes the 10 bytes of a 'T' reply. Accepts the bytes with or without the trailing CR.
/// Throws ProtocolError, with the bytes in hex, for a wrong length, bad hex digits (lowercase is
/// rejected: the controller sends uppercase) or a status byte missing its bit 7.
StatusReply decode_status(std::string_view reply);

/// True for the bare-CR acknowledgement of a command that returns no data (reply without the CR
/// must be empty).
bool is_acknowledgement(std::string_view reply_without_cr);

/// Space-separated hex of bytes, e.g. "30 80 80 80 80 80 30 30 46 41", for error messages.
std::string to_hex(std::string_view bytes);

std::string_view to_string(Sb1State state);

}  // namespace glasslab::linkam::protocol
