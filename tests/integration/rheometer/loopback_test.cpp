// The command set against the simulator over loopback TCP: RheometerClient (drivers/) talking to
// RheometerServer (sim/), two independent implementations of docs/rheometer-protocol.md.
#include <doctest/doctest.h>

#include <set>
#include <thread>

#include "core/clock.hpp"
#include "drivers/rheometer/client.hpp"
#include "sim/rheometer/instrument.hpp"
#include "sim/rheometer/server.hpp"

using namespace glasslab;
using namespace glasslab::rheometer;
namespace sr = glasslab::sim::rheometer;

namespace {

struct Bench {
  explicit Bench(double speed, std::uint64_t seed = 11)
      : clock(speed), instrument(clock, sr::SampleState::as_cast, seed), server(instrument, {"127.0.0.1", 0}) {
    server.start_background();
  }
  ClientOptions options(std::chrono::milliseconds reply_timeout = std::chrono::milliseconds(1000)) const {
    ClientOptions o;
    o.port = server.port();
    o.reply_timeout = reply_timeout;
    o.connect_timeout = std::chrono::milliseconds(500);
    o.backoff_initial = std::chrono::milliseconds(10);
    o.backoff_max = std::chrono::milliseconds(100);
    o.max_reconnect_attempts = 4;
    return o;
  }
  ScaledSteadyClock clock;
  sr::SimulatedRheometer instrument;
  sr::RheometerServer server;
};

SweepConfiguration short_ramp(double from_K, double to_K, double rate_K_per_min, std::vector<double> frequencies) {
  SweepConfiguration c;
  c.mode = Mode::torsion;
  c.geometry = {Geometry::Shape::rectangular, 20, 4, 1};
  c.frequencies_Hz = std::move(frequencies);
  c.temperature = TemperatureRamp{from_K, to_K, rate_K_per_min};
  return c;
}

// Polls until the run leaves RUNNING, collecting every point once.
std::vector<DataPoint> collect_run(RheometerClient& client) {
  std::vector<DataPoint> all;
  while (true) {
    auto points = client.fetch_new_points();
    all.insert(all.end(), points.begin(), points.end());
    if (!client.status().running()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  auto tail = client.fetch_new_points();
  all.insert(all.end(), tail.begin(), tail.end());
  return all;
}

}  // namespace

TEST_CASE("identify, configure, start, status, data and abort over TCP") {
  Bench bench(200.0);
  RheometerClient client(bench.options());
  client.connect();
  CHECK(client.identify() == "glasslab,DHR-3 SIM,SIM0001,1.0");
  CHECK(client.status().state == "IDLE");
  client.configure(short_ramp(300, 330, 10, {1, 10}));
  client.start();
  const auto status = client.status();
  CHECK(status.running());
  CHECK(status.run_number == 1);
  // A refused setting comes back as RheometerError with the instrument's code and message.
  try {
    client.configure(short_ramp(300, 330, 10, {1}));
    FAIL("configuring while running must be refused");
  } catch (const RheometerError& e) {
    CHECK(e.code() == -221);
    CHECK(e.instrument_message() == "Settings conflict: running");
  }
  const auto entry = client.next_error();
  REQUIRE(entry.has_value());
  CHECK(entry->code == -221);
  CHECK_FALSE(client.next_error().has_value());

  const auto points = collect_run(client);
  REQUIRE(points.size() > 20);
  for (std::size_t i = 0; i < points.size(); ++i) CHECK(points[i].index == static_cast<std::int64_t>(i + 1));
  CHECK(points.front().frequency_Hz == doctest::Approx(1));
  CHECK(points[1].frequency_Hz == doctest::Approx(10));
  CHECK(points.back().T_K <= 330.2);
  CHECK(points.front().storage_Pa > 1e10);  // a metallic glass in torsion: tens of GPa
  CHECK(client.status().done());
  client.abort();  // harmless after the run
}

TEST_CASE("the sweep's APPROACH rate reaches the instrument: the oven moves from where it is, then measures") {
  Bench bench(1000.0);
  RheometerClient client(bench.options());
  SweepConfiguration c = short_ramp(400, 410, 10, {1});
  c.approach_rate_K_per_min = 50;
  client.configure(c);
  client.start();
  const auto approaching = client.status();
  CHECK(approaching.running());
  CHECK(approaching.last_index == 0);
  CHECK(approaching.frequency_Hz == 0);
  CHECK(approaching.T_K >= 295.15);
  CHECK(approaching.T_K < 400);
  auto points = collect_run(client);
  REQUIRE_FALSE(points.empty());
  // From room temperature (295.15 K) at 50 K/min, then one 1 Hz point (0.5 s + 4 cycles).
  CHECK(points.front().time_s == doctest::Approx((400 - 295.15) / 50 * 60 + 4.5));
  CHECK(client.status().T_K == doctest::Approx(410));
  // The next sweep starts from 410 K, where the oven was left, at the rate it sends.
  c = short_ramp(300, 310, 10, {1});
  c.approach_rate_K_per_min = 40;
  client.configure(c);
  client.start();
  points = collect_run(client);
  REQUIRE_FALSE(points.empty());
  CHECK(points.front().time_s == doctest::Approx((410 - 300) / 40.0 * 60 + 4.5));
}

TEST_CASE("an instrument fault shows in STATUS? and the error queue") {
  Bench bench(500.0);
  bench.instrument.schedule_fault({sr::FaultKind::instrument_error, 4, 0, 302});
  RheometerClient client(bench.options());
  client.configure(short_ramp(300, 400, 10, {5}));
  client.start();
  while (client.status().running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  CHECK(client.status().faulted());
  const auto entry = client.next_error();
  REQUIRE(entry.has_value());
  CHECK(entry->code == 302);
  CHECK(client.fetch_new_points().size() == 4);
}

TEST_CASE("no point lost or duplicated across forced reconnects mid-reply") {
  Bench bench(300.0);
  // The server drops every connection while answering, three times during the sweep.
  for (std::int64_t at : {5, 23, 40}) bench.instrument.schedule_fault({sr::FaultKind::drop, at});
  RheometerClient client(bench.options());
  client.configure(short_ramp(300, 340, 10, {2, 20}));
  client.start();
  const auto points = collect_run(client);
  CHECK(client.reconnect_count() >= 3);
  REQUIRE(static_cast<std::int64_t>(points.size()) == bench.instrument.points_produced());
  std::set<std::int64_t> seen;
  for (std::size_t i = 0; i < points.size(); ++i) {
    CHECK(points[i].index == static_cast<std::int64_t>(i + 1));
    seen.insert(points[i].index);
  }
  CHECK(seen.size() == points.size());
}

TEST_CASE("a stall longer than the reply timeout is survived by reconnecting") {
  Bench bench(100.0);
  RheometerClient client(bench.options(std::chrono::milliseconds(150)));
  client.configure(short_ramp(300, 310, 10, {5}));
  bench.instrument.stall_for_wall_s(0.4);
  CHECK(client.status().state == "IDLE");  // answered after the stall, on a later attempt
  CHECK(client.reconnect_count() >= 1);
}

TEST_CASE("a connection that does not come back ends in RheometerConnectionLost") {
  Bench bench(100.0);
  RheometerClient client(bench.options(std::chrono::milliseconds(200)));
  client.connect();
  CHECK(client.status().state == "IDLE");
  bench.server.set_offline(true);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK_THROWS_AS(client.status(), RheometerConnectionLost);
  bench.server.set_offline(false);  // and it recovers once the service is back
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(client.status().state == "IDLE");
}
