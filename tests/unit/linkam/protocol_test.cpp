// Linkam T95 codec against the byte strings of /work/shared/reference/linkam-t95.md.
#include <doctest/doctest.h>

#include <limits>
#include <string>

#include "core/error.hpp"
#include "drivers/linkam/protocol.hpp"
#include "scripted_transport.hpp"

using namespace glasslab;
using namespace glasslab::linkam::protocol;
using glasslab::linkam::testing::t_reply;

TEST_CASE("status and run commands are single letters ending in CR") {
  CHECK(encode_status() == "T\r");
  CHECK(encode_start() == "S\r");
  CHECK(encode_stop() == "E\r");
  CHECK(encode_hold() == "O\r");
  CHECK(encode_heat() == "H\r");
  CHECK(encode_cool() == "C\r");
}

TEST_CASE("rate is R1 followed by degrees per minute times 100") {
  CHECK(encode_rate(20.0) == "R12000\r");  // reference: R12000 = 20 °C/min
  CHECK(encode_rate(10.0) == "R11000\r");
  CHECK(encode_rate(50.0) == "R15000\r");
  CHECK(encode_rate(0.01) == "R11\r");     // the minimum, 1
  CHECK(encode_rate(150.0) == "R115000\r");
}

TEST_CASE("rate rounds to the nearest 0.01 per minute and refuses what rounds below 1") {
  CHECK(rate_to_wire(0.014) == 1);
  CHECK(rate_to_wire(0.016) == 2);
  CHECK(rate_to_wire(0.29) == 29);  // 0.29 * 100 is 28.999... in binary: rounding, not truncation
  CHECK(rate_to_wire(149.996) == 15000);
  CHECK(rate_from_wire(1234) == doctest::Approx(12.34));
  CHECK_THROWS_AS(rate_to_wire(0.004), ProtocolError);
  CHECK_THROWS_AS(rate_to_wire(0.0), ProtocolError);
  CHECK_THROWS_AS(rate_to_wire(-5.0), ProtocolError);
  CHECK_THROWS_AS(rate_to_wire(1000.0), ProtocolError);
  CHECK_THROWS_AS(encode_rate(std::numeric_limits<double>::quiet_NaN()), ProtocolError);
}

TEST_CASE("limit is L1 followed by degrees times 10, negative with a leading minus") {
  CHECK(encode_limit(125.0) == "L11250\r");   // reference
  CHECK(encode_limit(-196.0) == "L1-1960\r"); // reference
  CHECK(encode_limit(600.0) == "L16000\r");
  CHECK(encode_limit(0.0) == "L10\r");
  CHECK(encode_limit(25.0) == "L1250\r");
  CHECK(encode_limit(93.15 - 273.15) == "L1-1800\r");  // the paper's 93.15 K hold
}

TEST_CASE("limit rounds to the nearest tenth, half away from zero") {
  CHECK(limit_to_wire(25.04) == 250);
  CHECK(limit_to_wire(25.06) == 251);
  CHECK(limit_to_wire(-196.04) == -1960);
  CHECK(limit_to_wire(-196.06) == -1961);
  CHECK(limit_to_wire(0.25) == 3);
  CHECK(limit_to_wire(-0.25) == -3);
  CHECK(limit_from_wire(-1960) == doctest::Approx(-196.0));
  CHECK_THROWS_AS(limit_to_wire(5000.0), ProtocolError);
  CHECK_THROWS_AS(limit_to_wire(std::numeric_limits<double>::infinity()), ProtocolError);
}

TEST_CASE("pump commands: Pa0, Pm0 and P<chr(0x30+speed)>") {
  CHECK(encode_pump_automatic() == "Pa0\r");
  CHECK(encode_pump_manual() == "Pm0\r");
  CHECK(encode_pump_speed(0) == "P0\r");
  CHECK(encode_pump_speed(9) == "P9\r");
  CHECK(encode_pump_speed(10) == "P:\r");
  CHECK(encode_pump_speed(16) == "P@\r");
  CHECK(encode_pump_speed(17) == "PA\r");
  CHECK(encode_pump_speed(30) == "PN\r");
  CHECK_THROWS_AS(encode_pump_speed(31), ProtocolError);
  CHECK_THROWS_AS(encode_pump_speed(-1), ProtocolError);
}

TEST_CASE("temperature: signed 16-bit two's complement, four uppercase hex digits, times 10") {
  CHECK(decode_status(t_reply(0x01, 0x80, 0x80, "00FA")).temperature_tenths_C == 250);    // 25.0 °C
  CHECK(decode_status(t_reply(0x01, 0x80, 0x80, "F858")).temperature_tenths_C == -1960);  // -196.0 °C
  CHECK(decode_status(t_reply(0x01, 0x80, 0x80, "1770")).temperature_tenths_C == 6000);   // 600.0 °C
  CHECK(decode_status(t_reply(0x01, 0x80, 0x80, "FFFF")).temperature_tenths_C == -1);
  CHECK(decode_status(t_reply(0x01, 0x80, 0x80, "8000")).temperature_tenths_C == -32768);
  CHECK(decode_status(t_reply(0x01, 0x80, 0x80, "7FFF")).temperature_tenths_C == 32767);
  CHECK(decode_status(t_reply(0x01, 0x80, 0x80, "F858")).temperature_C() == doctest::Approx(-196.0));
}

TEST_CASE("SB1 states, tolerating set low-nibble bits") {
  CHECK(decode_status(t_reply(0x01, 0x80, 0x80, "00FA")).state == Sb1State::stopped);
  CHECK(decode_status(t_reply(0x10, 0x80, 0x80, "00FA")).state == Sb1State::heating);
  CHECK(decode_status(t_reply(0x11, 0x80, 0x80, "00FA")).state == Sb1State::heating);
  CHECK(decode_status(t_reply(0x20, 0x80, 0x80, "00FA")).state == Sb1State::cooling);
  CHECK(decode_status(t_reply(0x21, 0x80, 0x80, "00FA")).state == Sb1State::cooling);
  CHECK(decode_status(t_reply(0x30, 0x80, 0x80, "00FA")).state == Sb1State::holding_limit);
  CHECK(decode_status(t_reply(0x31, 0x80, 0x80, "00FA")).state == Sb1State::holding_limit);
  CHECK(decode_status(t_reply(0x40, 0x80, 0x80, "00FA")).state == Sb1State::holding_limit_time);
  CHECK(decode_status(t_reply(0x50, 0x80, 0x80, "00FA")).state == Sb1State::holding_current);
  CHECK(decode_status(t_reply(0x60, 0x80, 0x80, "00FA")).state == Sb1State::unknown);
  CHECK(decode_status(t_reply(0x11, 0x80, 0x80, "00FA")).sb1 == 0x11);  // raw byte kept
}

TEST_CASE("EB1 error bits, bit 7 always set") {
  const auto bits = [](unsigned eb1) { return decode_status(t_reply(0x01, eb1, 0x80, "00FA")); };
  CHECK_FALSE(bits(0x80).has_error(0x7F));
  CHECK(bits(0x81).has_error(eb1::cooling_rate_too_fast));
  CHECK(bits(0x82).has_error(eb1::open_circuit));
  CHECK(bits(0x84).has_error(eb1::power_surge));
  CHECK(bits(0x88).has_error(eb1::no_exit_300));
  CHECK(bits(0x90).has_error(eb1::both_stages));
  CHECK(bits(0xA0).has_error(eb1::rs232_link_error));
  CHECK_FALSE(bits(0x82).has_error(eb1::cooling_rate_too_fast));
  CHECK(bits(0x87).eb1 == 0x87);
}

TEST_CASE("PB1 pump speed with bit 7 set and the automatic-mode offset 0x40") {
  const auto pump = [](unsigned pb1) { return decode_status(t_reply(0x01, 0x80, pb1, "00FA")); };
  CHECK(pump(0x80).pump_speed == 0);
  CHECK_FALSE(pump(0x80).pump_automatic);
  CHECK(pump(0x9E).pump_speed == 30);  // full
  CHECK_FALSE(pump(0x9E).pump_automatic);
  CHECK(pump(0xC0).pump_speed == 0);
  CHECK(pump(0xC0).pump_automatic);
  CHECK(pump(0xC5).pump_speed == 5);
  CHECK(pump(0xDE).pump_speed == 30);
  CHECK(pump(0xDE).pump_automatic);
}

TEST_CASE("GS1 is passed through and the trailing CR is accepted") {
  std::string reply = t_reply(0x30, 0x80, 0x80, "1770");
  reply[3] = static_cast<char>(0x85);
  const auto status = decode_status(reply + "\r");
  CHECK(status.gs1 == 0x85);
  CHECK(status.state == Sb1State::holding_limit);
  CHECK(status.temperature_tenths_C == 6000);
}

TEST_CASE("malformed replies are ProtocolErrors that show the bytes in hex") {
  const std::string good = t_reply(0x01, 0x80, 0x80, "00FA");
  CHECK_THROWS_AS(decode_status(""), ProtocolError);
  CHECK_THROWS_AS(decode_status(good.substr(0, 9)), ProtocolError);  // short
  CHECK_THROWS_AS(decode_status(good + "0"), ProtocolError);          // long
  CHECK_THROWS_AS(decode_status(t_reply(0x01, 0x80, 0x80, "00fa")), ProtocolError);  // lowercase
  CHECK_THROWS_AS(decode_status(t_reply(0x01, 0x80, 0x80, "00G0")), ProtocolError);
  CHECK_THROWS_AS(decode_status(t_reply(0x01, 0x00, 0x80, "00FA")), ProtocolError);  // EB1 bit 7
  CHECK_THROWS_AS(decode_status(t_reply(0x01, 0x80, 0x1E, "00FA")), ProtocolError);  // PB1 bit 7
  CHECK_THROWS_AS(decode_status(t_reply(0x81, 0x80, 0x80, "00FA")), ProtocolError);  // shifted bytes
  try {
    decode_status(good.substr(0, 9));
    FAIL("no exception");
  } catch (const ProtocolError& e) {
    CHECK(std::string(e.what()).find("01 80 80 80 80 80 30 30 46") != std::string::npos);
  }
}

TEST_CASE("a command acknowledgement is a bare CR") {
  CHECK(is_acknowledgement(""));
  CHECK_FALSE(is_acknowledgement("x"));
  CHECK(to_hex(std::string("T\r", 2)) == "54 0D");
}
