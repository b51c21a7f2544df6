// Connection strings and the transport factory: what is accepted, what is refused, defaults.
#include <doctest/doctest.h>

#include "core/error.hpp"
#include "drivers/transport/connection_string.hpp"
#include "drivers/transport/make_byte_transport.hpp"
#include "drivers/transport/serial_port.hpp"

using namespace glasslab;
using namespace glasslab::transport;

TEST_CASE("parse_connection_string splits scheme, address and options") {
  const auto cs = parse_connection_string("serial:/dev/ttyUSB0?baud=19200&flow=rtscts");
  CHECK(cs.scheme == "serial");
  CHECK(cs.address == "/dev/ttyUSB0");
  CHECK(cs.option("baud") == std::optional<std::string>("19200"));
  CHECK(cs.option_or("flow", "none") == "rtscts");
  CHECK_FALSE(cs.option("parity").has_value());
  CHECK(cs.int_option_or("baud", 9600) == 19200);
  CHECK(cs.to_string() == "serial:/dev/ttyUSB0?baud=19200&flow=rtscts");
  CHECK(parse_connection_string("tcp:127.0.0.1:5025").address == "127.0.0.1:5025");
}

TEST_CASE("parse_connection_string refuses malformed strings") {
  CHECK_THROWS_AS(parse_connection_string("/dev/ttyUSB0"), UsageError);
  CHECK_THROWS_AS(parse_connection_string(":/dev/ttyUSB0"), UsageError);
  CHECK_THROWS_AS(parse_connection_string("serial:"), UsageError);
  CHECK_THROWS_AS(parse_connection_string("serial:/dev/x?baud"), UsageError);
  CHECK_THROWS_AS(parse_connection_string("serial:/dev/x?baud=1&=2"), UsageError);
  CHECK_THROWS_AS(parse_connection_string("serial:/dev/x?baud=fast").int_option_or("baud", 1), UsageError);
}

TEST_CASE("serial settings default to 19200 baud and RTS/CTS") {
  const auto settings = serial_settings_from(parse_connection_string("serial:/dev/ttyUSB0"));
  CHECK(settings.path == "/dev/ttyUSB0");
  CHECK(settings.baud == 19200);
  CHECK(settings.flow == FlowControl::rtscts);
  const auto none = serial_settings_from(parse_connection_string("serial:/dev/ttyS0?baud=9600&flow=none"));
  CHECK(none.baud == 9600);
  CHECK(none.flow == FlowControl::none);
}

TEST_CASE("serial settings refuse unknown flow, bad baud and unknown options, naming the string") {
  const auto refused = [](const std::string& text, const std::string& fragment) {
    try {
      serial_settings_from(parse_connection_string(text));
      FAIL("accepted " << text);
    } catch (const UsageError& e) {
      CHECK(std::string(e.what()).find(fragment) != std::string::npos);
    }
  };
  refused("serial:/dev/ttyUSB0?flow=xonxoff", "flow=xonxoff");
  refused("serial:/dev/ttyUSB0?baud=0", "baud=0");
  refused("serial:/dev/ttyUSB0?baud=19k2", "19k2");
  refused("serial:/dev/ttyUSB0?parity=even", "parity");
  refused("tcp:127.0.0.1:5025", "serial");
}

TEST_CASE("make_byte_transport builds a closed SerialPort for serial: and refuses unknown schemes") {
  const auto port = make_byte_transport(parse_connection_string("serial:/dev/ttyUSB7?flow=none"));
  REQUIRE(port);
  CHECK_FALSE(port->is_open());
  CHECK(port->description() == "serial:/dev/ttyUSB7?baud=19200&flow=none");
  CHECK(dynamic_cast<SerialPort*>(port.get()) != nullptr);
  try {
    make_byte_transport(parse_connection_string("carrier-pigeon:loft1"));
    FAIL("unknown scheme accepted");
  } catch (const UsageError& e) {
    CHECK(std::string(e.what()).find("carrier-pigeon") != std::string::npos);
  }
}
