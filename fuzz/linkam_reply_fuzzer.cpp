// libFuzzer target: the Linkam T95 'T' reply decoder (drivers/linkam/protocol), fed the way
// LinkamDevice feeds it: each CR-terminated piece of the byte stream, CR removed, goes to
// decode_status() (status_transaction) or is_acknowledgement() (command_transaction).
// Invariants of a decoded reply (reference/linkam-t95.md, "'T' reply"): the temperature is the
// signed 16-bit value of bytes 6..9 and re-encodes to exactly those four uppercase hex digits;
// EB1/PB1 carry bit 7; the pump speed is PB1's low five bits.
// The command encoders get the first eight bytes as a double: a rate or limit either encodes to
// the documented "R1<n>\r" / "L1<n>\r" within the wire's range or throws ProtocolError.
#include <cmath>
#include <cstring>

#include <fmt/format.h>

#include "drivers/linkam/protocol.hpp"
#include "fuzz/fuzz_support.hpp"

namespace {

namespace protocol = glasslab::linkam::protocol;
using glasslab::ErrorCategory;
using glasslab::fuzz::parse_or_typed_error;
using glasslab::fuzz::require;

void check_status_reply(std::string_view reply) {
  parse_or_typed_error(ErrorCategory::protocol, [&] {
    const protocol::StatusReply status = protocol::decode_status(reply);
    std::string_view body = reply;
    if (!body.empty() && body.back() == protocol::terminator) body.remove_suffix(1);
    require(body.size() == protocol::status_reply_length, "a decoded reply has 10 bytes before the CR");
    require(status.temperature_tenths_C >= -32768 && status.temperature_tenths_C <= 32767,
            "temperature within the signed 16-bit range");
    const auto wire = static_cast<unsigned>(status.temperature_tenths_C) & 0xFFFFu;
    require(fmt::format("{:04X}", wire) == body.substr(6, 4), "temperature re-encodes to bytes 6..9");
    require(status.sb1 == static_cast<std::uint8_t>(body[0]) && status.eb1 == static_cast<std::uint8_t>(body[1]) &&
                status.pb1 == static_cast<std::uint8_t>(body[2]) && status.gs1 == static_cast<std::uint8_t>(body[3]),
            "raw status bytes kept");
    require((status.eb1 & protocol::eb1::always_set) && (status.pb1 & protocol::pb1::always_set),
            "EB1 and PB1 carry bit 7");
    require(status.pump_speed == (status.pb1 & protocol::pb1::speed_mask), "pump speed is PB1 & 0x1F");
    require(!protocol::to_string(status.state).empty(), "state has a name");
    require(std::isfinite(status.temperature_C()), "temperature in degrees C is finite");
  });
}

void check_encoders(double value) {
  parse_or_typed_error(ErrorCategory::protocol, [&] {
    const std::string command = protocol::encode_rate(value);
    const int wire = protocol::rate_to_wire(value);
    require(wire >= protocol::min_rate_hundredths && wire <= protocol::max_rate_hundredths, "rate within 1..99999");
    require(command == fmt::format("R1{}\r", wire), "rate command is R1<hundredths>CR");
  });
  parse_or_typed_error(ErrorCategory::protocol, [&] {
    const std::string command = protocol::encode_limit(value);
    const int wire = protocol::limit_to_wire(value);
    require(wire >= protocol::min_limit_tenths && wire <= protocol::max_limit_tenths, "limit within 16 bits");
    require(command == fmt::format("L1{}\r", wire), "limit command is L1<tenths>CR");
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes = glasslab::fuzz::as_text(data, size);
  check_status_reply(bytes);  // one read as it is, with or without its CR
  for (std::size_t begin = 0; begin < bytes.size();) {
    const auto cr = bytes.find(protocol::terminator, begin);
    if (cr == std::string_view::npos) break;  // the rest never arrives whole: the transport times out
    const std::string_view reply = bytes.substr(begin, cr - begin);
    check_status_reply(reply);
    require(protocol::is_acknowledgement(reply) == reply.empty(), "only a bare CR acknowledges");
    begin = cr + 1;
  }
  if (size >= sizeof(double)) {
    double value;
    std::memcpy(&value, data, sizeof value);
    check_encoders(value);
  }
  return 0;
}
