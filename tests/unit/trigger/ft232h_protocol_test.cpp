// FT232H wire format against the bytes of /work/shared/reference/detector-trigger.md.
#include <doctest/doctest.h>

#include "drivers/trigger/ft232h_protocol.hpp"
#include "recording_usb.hpp"

using namespace glasslab::trigger::ft232h;
using glasslab::test::bytes_of;

TEST_CASE("set-up requests are RESET, purge RX, purge TX, latency, bitmode reset, bitmode MPSSE on interface A") {
  const auto requests = mpsse_setup_requests(2);
  REQUIRE(requests.size() == 6);
  // reference: bmRequestType 0x40, bRequest 0x00 RESET with wValue 0 / 1 / 2, wIndex 1 (interface A)
  CHECK(requests[0] == ControlRequest{0x40, 0x00, 0x0000, 0x0001, 0});
  CHECK(requests[1] == ControlRequest{0x40, 0x00, 0x0001, 0x0001, 0});
  CHECK(requests[2] == ControlRequest{0x40, 0x00, 0x0002, 0x0001, 0});
  // bRequest 0x09 SET_LATENCY_TIMER, wValue = ms
  CHECK(requests[3] == ControlRequest{0x40, 0x09, 0x0002, 0x0001, 0});
  // bRequest 0x0B SET_BITMODE, wValue = (mode << 8) | mask: reset then MPSSE (0x02)
  CHECK(requests[4] == ControlRequest{0x40, 0x0B, 0x0000, 0x0001, 0});
  CHECK(requests[5] == ControlRequest{0x40, 0x0B, 0x0200, 0x0001, 0});
}

TEST_CASE("bitmode wValue packs mode in the high byte and the direction mask in the low byte") {
  CHECK(bitmode_value(0x01, 0xFF) == 0x01FF);
  CHECK(bitmode_value(0x02, 0x01) == 0x0201);
  CHECK(bitmode_value(0x04, 0x0F) == 0x040F);
}

TEST_CASE("pin set-up: clock options then ADBUS0 output low, the rest inputs") {
  CHECK(mpsse_configure_pins() == bytes_of({0x8A, 0x97, 0x8D, 0x85, 0x80, 0x00, 0x01}));
  CHECK(set_low_byte(0x01, 0x01) == bytes_of({0x80, 0x01, 0x01}));
  CHECK(read_low_byte_command() == bytes_of({0x81, 0x87}));
}

TEST_CASE("a 20 us pulse is 400 set-high commands at a 50 ns floor, then one set-low") {
  const auto bytes = pulse_bytes(std::chrono::microseconds(20), std::chrono::nanoseconds(50));
  REQUIRE(bytes.size() == 3 * 401);
  for (std::size_t i = 0; i < 400; ++i) REQUIRE(bytes.substr(3 * i, 3) == bytes_of({0x80, 0x01, 0x01}));
  CHECK(bytes.substr(3 * 400) == bytes_of({0x80, 0x00, 0x01}));
}

TEST_CASE("pulse repeat count rounds up so the width is never shorter than asked") {
  CHECK(pulse_repeat_count(std::chrono::microseconds(20), std::chrono::nanoseconds(60)) == 334);  // 333.3 -> 334
  CHECK(pulse_repeat_count(std::chrono::microseconds(100), std::chrono::nanoseconds(100)) == 1000);
  CHECK(pulse_repeat_count(std::chrono::microseconds(0), std::chrono::nanoseconds(100)) == 1);
}

TEST_CASE("modem status is stripped from the start of every 512-byte packet") {
  CHECK(strip_modem_status(bytes_of({0x32, 0x60})).empty());
  CHECK(strip_modem_status(bytes_of({0x32, 0x60, 0x02})) == bytes_of({0x02}));
  std::string two_packets(512, 'a');
  two_packets[0] = 0x32;
  two_packets[1] = 0x60;
  two_packets += bytes_of({0x31, 0x60, 'b', 'c'});
  const auto payload = strip_modem_status(two_packets);
  CHECK(payload.size() == 510 + 2);
  CHECK(payload.substr(510) == "bc");
}

TEST_CASE("the MPSSE sync answer FA AA is recognised, other bytes are not") {
  CHECK(mpsse_sync_probe() == bytes_of({0xAA}));
  CHECK(is_mpsse_sync_reply(bytes_of({0xFA, 0xAA})));
  CHECK(is_mpsse_sync_reply(bytes_of({0x00, 0xFA, 0xAA})));
  CHECK_FALSE(is_mpsse_sync_reply(bytes_of({0xFA, 0xAB})));
  CHECK_FALSE(is_mpsse_sync_reply(bytes_of({0xAA, 0xFA})));
}
