// drivers/rheometer/protocol: byte strings from docs/rheometer-protocol.md in, typed values out.
#include <doctest/doctest.h>

#include <limits>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "drivers/rheometer/protocol.hpp"

using namespace glasslab;
using namespace glasslab::rheometer;

TEST_CASE("configuration encodes to the documented command lines in order") {
  SweepConfiguration c;
  c.mode = Mode::bending;
  c.geometry = {Geometry::Shape::three_point_bending, 20, 4, 1};
  c.strain_pct = 0.01;
  c.static_force_N = 0.5;
  c.frequencies_Hz = {0.05, 0.5, 3, 7, 15};
  c.delay_cycles = 1;
  c.acquisition_cycles = 3;
  c.approach_rate_K_per_min = 30;
  c.temperature = TemperatureRamp{123.15, 473.15, 5};
  const auto lines = protocol::encode_configuration(c);
  REQUIRE(lines.size() == 8);
  CHECK(lines[0] == "MODE BENDING\n");
  CHECK(lines[1] == "GEOM 3PB,20,4,1\n");
  CHECK(lines[2] == "STRAIN 0.01\n");
  CHECK(lines[3] == "FORCE 0.5\n");
  CHECK(lines[4] == "FREQ 0.05,0.5,3,7,15\n");
  CHECK(lines[5] == "CYCLES 1,3\n");
  CHECK(lines[6] == "APPROACH 30\n");  // before the program it applies to
  CHECK(lines[7] == "RAMP 123.15,473.15,5\n");

  c.mode = Mode::torsion;
  c.geometry.shape = Geometry::Shape::rectangular;
  c.temperature = TemperatureSteps{{300, 350.5}, 120};
  const auto steps = protocol::encode_configuration(c);
  CHECK(steps[0] == "MODE TORSION\n");
  CHECK(steps[1] == "GEOM RECT,20,4,1\n");
  CHECK(steps[6] == "APPROACH 30\n");
  CHECK(steps[7] == "STEPS 300,350.5,120\n");
  // A configuration that does not say sends the service's own default.
  CHECK(protocol::encode_configuration(SweepConfiguration{})[6] == "APPROACH 20\n");
}

TEST_CASE("DATA? query and non-finite numbers") {
  CHECK(protocol::encode_data_query(0) == "DATA? 0\n");
  CHECK(protocol::encode_data_query(1234) == "DATA? 1234\n");
  CHECK_THROWS_AS(protocol::encode_data_query(-1), ProtocolError);
  CHECK_THROWS_AS(protocol::format_number(std::numeric_limits<double>::quiet_NaN()), ProtocolError);
  CHECK(protocol::format_number(1e-5) == "1e-05");
}

TEST_CASE("OK and ERR replies, with SCPI quote doubling") {
  CHECK(protocol::is_ok("OK"));
  CHECK_FALSE(protocol::is_ok("OK "));
  CHECK_FALSE(protocol::parse_error_reply("OK").has_value());
  const auto error = protocol::parse_error_reply("ERR -221,\"Settings conflict: running\"");
  REQUIRE(error.has_value());
  CHECK(error->code == -221);
  CHECK(error->message == "Settings conflict: running");
  const auto quoted = protocol::parse_error_reply(R"(ERR -100,"Command error: unknown header ""FOO""")");
  REQUIRE(quoted.has_value());
  CHECK(quoted->message == "Command error: unknown header \"FOO\"");
  CHECK_THROWS_AS(protocol::parse_error_reply("ERR x,\"y\""), ProtocolError);
  CHECK_THROWS_AS(protocol::parse_error_reply("ERR 5,unquoted"), ProtocolError);

  const auto empty = protocol::parse_error_entry("0,\"No error\"");
  CHECK(empty.code == 0);
  CHECK(empty.message == "No error");
  CHECK(protocol::parse_error_entry("301,\"Drive overload\"").code == 301);
}

TEST_CASE("STATUS? reply") {
  const auto s = protocol::parse_status("RUNNING,452.137,118,3,2");
  CHECK(s.running());
  CHECK(s.T_K == doctest::Approx(452.137));
  CHECK(s.last_index == 118);
  CHECK(s.frequency_Hz == doctest::Approx(3));
  CHECK(s.run_number == 2);
  CHECK(protocol::parse_status("FAULT,300,5,0,1").faulted());
  CHECK_THROWS_AS(protocol::parse_status("RUNNING,452.137,118,3"), ProtocolError);
  CHECK_THROWS_AS(protocol::parse_status("SLEEPING,1,1,1,1"), ProtocolError);
  CHECK_THROWS_AS(protocol::parse_status("DONE,abc,1,1,1"), ProtocolError);
}

TEST_CASE("PT and END lines") {
  const auto p = protocol::parse_point("PT 1,80.5,126.4,0.05,9.51e+10,1.1e+08,0.00116,0.01,12.7,0,BENDING");
  CHECK(p.index == 1);
  CHECK(p.time_s == doctest::Approx(80.5));
  CHECK(p.T_K == doctest::Approx(126.4));
  CHECK(p.frequency_Hz == doctest::Approx(0.05));
  CHECK(p.storage_Pa == doctest::Approx(9.51e10));
  CHECK(p.loss_Pa == doctest::Approx(1.1e8));
  CHECK(p.tan_delta == doctest::Approx(0.00116));
  CHECK(p.strain_pct == doctest::Approx(0.01));
  CHECK(p.force_N == doctest::Approx(12.7));
  CHECK(p.torque_Nm == 0);
  CHECK(p.mode == Mode::bending);
  CHECK_THROWS_AS(protocol::parse_point("PT 1,2,3"), ProtocolError);
  CHECK_THROWS_AS(protocol::parse_point("PT 0,1,1,1,1,1,1,1,1,1,TORSION"), ProtocolError);
  CHECK_THROWS_AS(protocol::parse_point("PT 1,1,1,1,1,1,1,1,1,1,SHEAR"), ProtocolError);
  try {
    protocol::parse_point("PT 7,1,1,x,1,1,1,1,1,1,TORSION");
    FAIL("expected a ProtocolError");
  } catch (const ProtocolError& e) {
    CHECK(std::string(e.what()).find("f_Hz 'x'") != std::string::npos);  // names the field and value
  }
  const auto end = protocol::parse_end("END 2,2");
  CHECK(end.count == 2);
  CHECK(end.last_index == 2);
  CHECK(protocol::is_end_line("END 0,0"));
  CHECK_FALSE(protocol::is_point_line("END 0,0"));
  CHECK_THROWS_AS(protocol::parse_end("END 2"), ProtocolError);
}

TEST_CASE("a whole DATA? reply: END's count, indices without a gap, repeats dropped") {
  const std::vector<std::string> two = {"PT 1,80.5,126.4,0.05,9.51e+10,1.1e+08,0.00116,0.01,12.7,0,BENDING",
                                        "PT 2,89.0,130.1,0.5,9.5e+10,1.0e+08,0.00105,0.01,12.7,0,BENDING", "END 2,2"};
  const auto reply = protocol::parse_data_reply(two, 0);
  REQUIRE(reply.points.size() == 2);
  CHECK(reply.points[1].index == 2);
  CHECK(reply.last_delivered_index == 2);
  CHECK_FALSE(reply.more_available);
  const auto repeat = protocol::parse_data_reply(two, 1);  // point 1 was delivered before a reconnect
  REQUIRE(repeat.points.size() == 1);
  CHECK(repeat.points[0].index == 2);
  CHECK(protocol::parse_data_reply({"END 0,0"}, 0).points.empty());

  const auto message = [](const std::vector<std::string>& lines, std::int64_t since) {
    try {
      protocol::parse_data_reply(lines, since);
    } catch (const ProtocolError& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  CHECK(message({two[0], "END 2,2"}, 0) == "rheometer DATA? 0 reply: END says 2 points, 1 arrived");
  CHECK(message({two[1], "END 1,2"}, 0) == "rheometer DATA? 0 reply: point index 2 follows 0 (gap)");
  CHECK(message({}, 5) == "rheometer DATA? 5 reply: no lines");
  // At the top of int64 the gap check must not form last + 1.
  const std::string top = "PT 9223372036854775807,1,300,1,1,1,1,0.01,0,0,TORSION";
  CHECK(protocol::parse_data_reply({top, "END 1,9223372036854775807"}, 9223372036854775806).last_delivered_index ==
        9223372036854775807);
}

TEST_CASE("a full DATA? reply asks for more only while the index moves on") {
  std::vector<std::string> full;
  for (int i = 1; i <= 500; ++i) full.push_back(fmt::format("PT {},{},300,1,1,1,1,0.01,0,0,TORSION", i, i));
  full.push_back("END 500,800");
  CHECK(protocol::parse_data_reply(full, 0).more_available);
  full.back() = "END 500,500";
  CHECK_FALSE(protocol::parse_data_reply(full, 0).more_available);
  // 500 repeats of points already delivered, more said to be available: the client would ask
  // DATA? 600 forever (the fuzz target's invariant "a reply that asks for more delivered something").
  full.back() = "END 500,800";
  CHECK_THROWS_WITH_AS(protocol::parse_data_reply(full, 600),
                       "rheometer DATA? 600 reply: 500 points, none after index 600, while END says 800 is available",
                       ProtocolError);
}

// fuzz/regressions/rheometer_reply/: inputs the fuzz target's invariants refused (docs/fuzzing.md).
TEST_CASE("fuzz regression: nan and inf are not numbers on the wire") {
  CHECK_THROWS_WITH_AS(protocol::parse_point("PT 1,1,nan,1,1,1,1,0.01,0,0,TORSION"),
                       "rheometer reply 'PT 1,1,nan,1,1,1,1,0.01,0,0,TORSION': T_K 'nan' is not a finite number",
                       ProtocolError);
  CHECK_THROWS_WITH_AS(protocol::parse_status("RUNNING,inf,1,1,1"),
                       "rheometer reply 'RUNNING,inf,1,1,1': T_K 'inf' is not a finite number", ProtocolError);
}

TEST_CASE("fuzz regression: an error code wider than int no longer wraps to 0 (no error)") {
  CHECK_THROWS_WITH_AS(protocol::parse_error_entry("4294967296,\"Drive overload\""),
                       "rheometer reply '4294967296,\"Drive overload\"': error code 4294967296 is out of range",
                       ProtocolError);
  CHECK(protocol::parse_error_entry("-2147483648,\"x\"").code == -2147483648LL);
}
