// sim/rheometer/instrument: the instrument's side of docs/rheometer-protocol.md, driven line by
// line with a ManualClock (no sockets, no sleeping).
#include <doctest/doctest.h>

#include <cmath>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "sim/rheometer/instrument.hpp"

using namespace glasslab;
using namespace glasslab::sim::rheometer;

namespace {
std::vector<std::string> lines_of(const std::string& reply) {
  std::vector<std::string> lines;
  std::istringstream in(reply);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}
std::vector<std::string> fields_of(const std::string& pt_line) {
  std::vector<std::string> fields;
  std::istringstream in(pt_line.substr(3));
  for (std::string f; std::getline(in, f, ',');) fields.push_back(f);
  return fields;
}
// The oven starts at room temperature (295.15 K) and approaches at 20 K/min unless told otherwise.
constexpr double room_K = 295.15;
double approach_s(double from_K, double to_K, double rate_K_per_min = 20) {
  return std::abs(to_K - from_K) / rate_K_per_min * 60;
}
void configure_ramp(SimulatedRheometer& sim, const std::string& freq, const std::string& ramp) {
  REQUIRE(sim.handle_line("MODE TORSION") == "OK\n");
  REQUIRE(sim.handle_line("GEOM RECT,20,4,1") == "OK\n");
  REQUIRE(sim.handle_line("STRAIN 0.01") == "OK\n");
  REQUIRE(sim.handle_line("FREQ " + freq) == "OK\n");
  REQUIRE(sim.handle_line("CYCLES 1,3") == "OK\n");
  REQUIRE(sim.handle_line("RAMP " + ramp) == "OK\n");
}
}  // namespace

TEST_CASE("identify, errors with codes, and the error queue") {
  ManualClock clock;
  SimulatedRheometer sim(clock, SampleState::as_cast, 1);
  CHECK(sim.handle_line("*IDN?") == "glasslab,DHR-3 SIM,SIM0001,1.0\n");
  CHECK(sim.handle_line("*idn?\r") == "glasslab,DHR-3 SIM,SIM0001,1.0\n");
  CHECK(sim.handle_line("FROB 1") == "ERR -100,\"Command error: unknown header 'FROB'\"\n");
  CHECK(sim.handle_line("STRAIN abc").rfind("ERR -104,", 0) == 0);
  CHECK(sim.handle_line("STRAIN 50").rfind("ERR -222,", 0) == 0);
  CHECK(sim.handle_line("MODE SHEAR").rfind("ERR -224,", 0) == 0);
  CHECK(sim.handle_line("CYCLES 1").rfind("ERR -109,", 0) == 0);
  CHECK(sim.handle_line("FORCE 1,2").rfind("ERR -108,", 0) == 0);
  CHECK(sim.handle_line("START").rfind("ERR -221,", 0) == 0);  // no frequencies
  CHECK(sim.handle_line(std::string(2000, 'A')) == "ERR -102,\"Line too long\"\n");
  CHECK(sim.handle_line("SYST:ERR?").rfind("-100,", 0) == 0);  // oldest first
  CHECK(sim.handle_line("SYST:ERR?").rfind("-104,", 0) == 0);
  for (int i = 0; i < 5; ++i) CHECK(sim.handle_line("SYST:ERR?").rfind("-", 0) == 0);
  CHECK(sim.handle_line("SYST:ERR?") == "-102,\"Line too long\"\n");
  CHECK(sim.handle_line("SYST:ERR?") == "0,\"No error\"\n");
  CHECK(sim.handle_line("STATUS?") == "IDLE,295.15,0,0,0\n");
  CHECK(sim.handle_line("ABORT") == "OK\n");  // safe when idle
}

TEST_CASE("a ramp: frequencies in turn, each point's timing and mean temperature") {
  ManualClock clock;
  SimulatedRheometer sim(clock, SampleState::as_cast, 7);
  configure_ramp(sim, "0.05,0.5,3", "123.15,173.15,5");
  REQUIRE(sim.handle_line("START") == "OK\n");
  CHECK(sim.handle_line("FREQ 1") == "ERR -221,\"Settings conflict: running\"\n");
  // The oven first cools from room temperature to 123.15 K at 20 K/min (516 s): no points, f 0.
  const double t0 = approach_s(room_K, 123.15);
  clock.advance_s(t0);
  CHECK(sim.handle_line("DATA? 0") == "END 0,0\n");
  // First point: 0.5 s settle + (1+3)/0.05 = 80 s → ends at t0 + 80.5 s; window = last 60 s.
  clock.advance_s(80.4);
  CHECK(sim.handle_line("DATA? 0") == "END 0,0\n");
  clock.advance_s(0.2);
  auto lines = lines_of(sim.handle_line("DATA? 0"));
  REQUIRE(lines.size() == 2);
  auto f = fields_of(lines[0]);
  REQUIRE(f.size() == 11);
  CHECK(f[0] == "1");
  CHECK(std::stod(f[1]) == doctest::Approx(t0 + 80.5));
  CHECK(std::stod(f[3]) == doctest::Approx(0.05));
  // Mean of a 5 K/min ramp over [20.5, 80.5] s = T at 50.5 s = 123.15 + 50.5/12.
  CHECK(std::stod(f[2]) == doctest::Approx(123.15 + 50.5 / 12.0).epsilon(1e-3));
  CHECK(f[10] == "TORSION");
  CHECK(lines[1] == "END 1,1");
  // Second and third: 0.5 Hz ends at 80.5+0.5+8 = 89; 3 Hz at 89+0.5+4/3.
  clock.advance_s(20);
  lines = lines_of(sim.handle_line("DATA? 1"));
  REQUIRE(lines.size() >= 3);
  CHECK(std::stod(fields_of(lines[0])[1]) == doctest::Approx(t0 + 89.0));
  CHECK(std::stod(fields_of(lines[0])[3]) == doctest::Approx(0.5));
  CHECK(std::stod(fields_of(lines[1])[3]) == doctest::Approx(3.0));
  CHECK(std::stod(fields_of(lines[1])[1]) == doctest::Approx(t0 + 89.5 + 4.0 / 3.0));
  // The ramp lasts 600 s; afterwards the run is DONE at 173.15 K.
  clock.advance_s(700);
  const std::string status = sim.handle_line("STATUS?");
  CHECK(status.rfind("DONE,173.15,", 0) == 0);
  lines = lines_of(sim.handle_line("DATA? 0"));
  const auto last = fields_of(lines[lines.size() - 2]);
  CHECK(std::stod(last[2]) <= 173.15 + 0.1);  // no point beyond the ramp's end temperature
  CHECK(lines.back() == "END " + std::to_string(lines.size() - 1) + "," + last[0]);
}

TEST_CASE("DATA? returns at most 500 points, then continues from the index asked") {
  ManualClock clock;
  SimulatedRheometer sim(clock, SampleState::as_cast, 3);
  configure_ramp(sim, "60", "300,400,1");  // 60 Hz: a point every 0.5+4/60 s
  REQUIRE(sim.handle_line("START") == "OK\n");
  clock.advance_s(600);
  auto lines = lines_of(sim.handle_line("DATA? 0"));
  REQUIRE(lines.size() == 501);
  CHECK(lines.back().rfind("END 500,", 0) == 0);
  CHECK(fields_of(lines[499])[0] == "500");
  lines = lines_of(sim.handle_line("DATA? 500"));
  CHECK(fields_of(lines[0])[0] == "501");
}

TEST_CASE("faults: instrument error stops the run, lost sample collapses the modulus") {
  ManualClock clock;
  SimulatedRheometer sim(clock, SampleState::as_cast, 5);
  configure_ramp(sim, "1", "300,400,10");
  sim.schedule_fault({FaultKind::lose_sample, 3});
  sim.schedule_fault({FaultKind::instrument_error, 6, 0, 301});
  REQUIRE(sim.handle_line("START") == "OK\n");
  clock.advance_s(100);
  CHECK(sim.handle_line("STATUS?").rfind("FAULT,", 0) == 0);
  auto lines = lines_of(sim.handle_line("DATA? 0"));
  REQUIRE(lines.size() == 7);  // 6 points, then the fault stopped the run
  const double healthy = std::stod(fields_of(lines[1])[4]);
  const double collapsed = std::stod(fields_of(lines[4])[4]);
  CHECK(healthy > 1e10);
  CHECK(collapsed < 1e-3 * healthy);
  CHECK(sim.handle_line("SYST:ERR?") == "301,\"Drive overload\"\n");
  // A drop fault only raises the server's flag.
  sim.schedule_fault({FaultKind::drop, 2});
  REQUIRE(sim.handle_line("SAMPLE AS_CAST") == "OK\n");
  REQUIRE(sim.handle_line("START") == "OK\n");
  CHECK_FALSE(sim.take_drop_request());
  clock.advance_s(40);  // the approach back to 300 K, then two points of 4.5 s
  sim.handle_line("STATUS?");
  CHECK(sim.take_drop_request());
  CHECK_FALSE(sim.take_drop_request());
}

TEST_CASE("steps: soak, then a frequency sweep at each temperature") {
  ManualClock clock;
  SimulatedRheometer sim(clock, SampleState::as_cast, 9);
  REQUIRE(sim.handle_line("FREQ 1,10") == "OK\n");
  REQUIRE(sim.handle_line("STEPS 300,320,60") == "OK\n");
  REQUIRE(sim.handle_line("START") == "OK\n");
  clock.advance_s(1000);
  auto lines = lines_of(sim.handle_line("DATA? 0"));
  REQUIRE(lines.size() == 5);
  CHECK(std::stod(fields_of(lines[0])[2]) == doctest::Approx(300).epsilon(1e-3));
  CHECK(std::stod(fields_of(lines[1])[2]) == doctest::Approx(300).epsilon(1e-3));
  CHECK(std::stod(fields_of(lines[2])[2]) == doctest::Approx(320).epsilon(1e-3));
  CHECK(std::stod(fields_of(lines[2])[3]) == doctest::Approx(1));
  // First point after the approach to 300 K and the 60 s soak: approach + 60 + 0.5 + 4 s.
  CHECK(std::stod(fields_of(lines[0])[1]) == doctest::Approx(approach_s(room_K, 300) + 64.5));
  CHECK(sim.handle_line("STATUS?").rfind("DONE,320,4,", 0) == 0);
}

namespace {
std::vector<std::string> status_fields(SimulatedRheometer& sim) {
  std::vector<std::string> fields;
  std::istringstream in(sim.handle_line("STATUS?"));
  for (std::string f; std::getline(in, f, ',');) fields.push_back(f);
  if (!fields.empty() && !fields.back().empty() && fields.back().back() == '\n') fields.back().pop_back();
  return fields;
}
double first_point_time_s(SimulatedRheometer& sim) {
  const auto lines = lines_of(sim.handle_line("DATA? 0"));
  REQUIRE(lines.size() >= 2);
  return std::stod(fields_of(lines[0])[1]);
}
}  // namespace

TEST_CASE("APPROACH: 0.1 to 50 K/min, refused while running, 20 K/min again after *RST") {
  ManualClock clock;
  SimulatedRheometer sim(clock, SampleState::as_cast, 11);
  const std::pair<const char*, const char*> replies[] = {
      {"APPROACH 0.1", "OK"},         {"approach 50", "OK"},          {"APPROACH 0.05", "ERR -222,"},
      {"APPROACH 50.5", "ERR -222,"}, {"APPROACH -20", "ERR -222,"},  {"APPROACH fast", "ERR -104,"},
      {"APPROACH nan", "ERR -104,"},  {"APPROACH", "ERR -109,"},      {"APPROACH 10,20", "ERR -108,"}};
  for (const auto& [line, reply] : replies) CHECK_MESSAGE(sim.handle_line(line).rfind(reply, 0) == 0, line);
  // The last accepted value (50 K/min) holds: 145.15 K from room temperature takes 174.18 s.
  configure_ramp(sim, "1", "150,160,10");
  REQUIRE(sim.handle_line("START") == "OK\n");
  CHECK(sim.handle_line("APPROACH 10") == "ERR -221,\"Settings conflict: running\"\n");
  clock.advance_s(1000);
  CHECK(first_point_time_s(sim) == doctest::Approx(approach_s(room_K, 150, 50) + 4.5));
  // *RST restores 20 K/min; the oven stays at 160 K, where the ramp ended.
  REQUIRE(sim.handle_line("*RST") == "OK\n");
  CHECK(status_fields(sim)[1] == "160");
  configure_ramp(sim, "1", "200,210,10");
  REQUIRE(sim.handle_line("START") == "OK\n");
  clock.advance_s(1000);
  CHECK(first_point_time_s(sim) == doctest::Approx(approach_s(160, 200, 20) + 4.5));
}

TEST_CASE("a RAMP starts where the last run left the oven: the approach takes |dT|/rate and measures nothing") {
  ManualClock clock;
  SimulatedRheometer sim(clock, SampleState::as_cast, 13);
  REQUIRE(sim.handle_line("APPROACH 30") == "OK\n");
  configure_ramp(sim, "1", "300,400,10");
  REQUIRE(sim.handle_line("START") == "OK\n");
  clock.advance_s(1000);
  const std::string first_run_end = sim.handle_line("STATUS?");
  REQUIRE(first_run_end.rfind("DONE,400,", 0) == 0);
  // Without an approach (the oven already at from_K) the same ramp would take 600 s plus the
  // last point; from 400 K back to 300 K at 30 K/min adds 200 s, during which nothing is measured.
  REQUIRE(sim.handle_line("START") == "OK\n");
  clock.advance_s(100);  // half way down
  auto status = status_fields(sim);
  REQUIRE(status.size() == 5);
  CHECK(status[0] == "RUNNING");
  CHECK(std::stod(status[1]) == doctest::Approx(350));
  CHECK(status[2] == "0");  // no point yet
  CHECK(status[3] == "0");  // no oscillation while the oven moves
  CHECK(sim.handle_line("DATA? 0") == "END 0,0\n");
  clock.advance_s(100 + 4.4);  // just before the first point ends
  CHECK(sim.handle_line("DATA? 0") == "END 0,0\n");
  CHECK(status_fields(sim)[3] == "1");  // oscillating now
  clock.advance_s(0.2);
  auto lines = lines_of(sim.handle_line("DATA? 0"));
  REQUIRE(lines.size() == 2);
  CHECK(std::stod(fields_of(lines[0])[1]) == doctest::Approx(200 + 4.5));  // time_s counts from START
  CHECK(std::stod(fields_of(lines[0])[2]) == doctest::Approx(300 + 2.5 / 6).epsilon(1e-3));
  // Every point of the run lies in the ramp, none in the approach: first T ≈ 300, none above 400.
  clock.advance_s(1000);
  REQUIRE(sim.handle_line("STATUS?").rfind("DONE,400,", 0) == 0);
  lines = lines_of(sim.handle_line("DATA? 0"));
  lines.pop_back();
  double last_time_s = 0;
  for (const auto& line : lines) {
    const auto f = fields_of(line);
    CHECK(std::stod(f[2]) >= 300 - 0.1);
    CHECK(std::stod(f[2]) <= 400 + 0.1);
    last_time_s = std::stod(f[1]);
  }
  // The run ends once T reaches 400 K: 200 s approach + 600 s ramp, and the point in progress.
  CHECK(last_time_s >= 800);
  CHECK(last_time_s <= 800 + 4.5);
}

TEST_CASE("STEPS: the oven moves to the first and between temperatures at the APPROACH rate") {
  ManualClock clock;
  SimulatedRheometer sim(clock, SampleState::as_cast, 17);
  REQUIRE(sim.handle_line("APPROACH 10") == "OK\n");
  REQUIRE(sim.handle_line("FREQ 1") == "OK\n");
  REQUIRE(sim.handle_line("STEPS 300,340,30") == "OK\n");
  REQUIRE(sim.handle_line("START") == "OK\n");
  // To 300 K: 4.85 K at 10 K/min = 29.1 s, soak 30 s, one point of 4.5 s; then 40 K at 10 K/min
  // = 240 s, soak 30 s, one point.
  const double first_end_s = approach_s(room_K, 300, 10) + 30 + 4.5;
  clock.advance_s(first_end_s + 120);
  auto status = status_fields(sim);
  CHECK(status[0] == "RUNNING");
  CHECK(std::stod(status[1]) == doctest::Approx(320));  // half way to 340 K
  CHECK(status[3] == "0");
  clock.advance_s(1000);
  auto lines = lines_of(sim.handle_line("DATA? 0"));
  REQUIRE(lines.size() == 3);
  CHECK(std::stod(fields_of(lines[0])[1]) == doctest::Approx(first_end_s));
  CHECK(std::stod(fields_of(lines[1])[1]) == doctest::Approx(first_end_s + 240 + 30 + 4.5));
  CHECK(std::stod(fields_of(lines[1])[2]) == doctest::Approx(340).epsilon(1e-3));
}

TEST_CASE("ABORT during the approach leaves the oven where it was, and the next run starts there") {
  ManualClock clock;
  SimulatedRheometer sim(clock, SampleState::as_cast, 19);
  configure_ramp(sim, "1", "123.15,200,5");
  REQUIRE(sim.handle_line("START") == "OK\n");
  clock.advance_s(60);  // 20 K down from room temperature
  REQUIRE(sim.handle_line("ABORT") == "OK\n");
  auto status = status_fields(sim);
  CHECK(status[0] == "ABORTED");
  CHECK(std::stod(status[1]) == doctest::Approx(room_K - 20));
  clock.advance_s(3600);  // the simulated oven holds its temperature between runs
  CHECK(std::stod(status_fields(sim)[1]) == doctest::Approx(room_K - 20));
  REQUIRE(sim.handle_line("START") == "OK\n");
  clock.advance_s(2000);
  CHECK(first_point_time_s(sim) == doctest::Approx(approach_s(room_K - 20, 123.15) + 4.5));
}
