// StagePoller + StageSafetyMonitor + LinkamDevice over a real pty to the in-process simulated
// T95, with nothing in the role of the engine loop: the stage is started by hand and then left
// alone, as if the engine were stuck. The interlock on the poller's thread and the safety thread
// must still put the stage in its safe state.
#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "acquisition/engine/stage_poller.hpp"
#include "acquisition/safety/stage_safety_monitor.hpp"
#include "drivers/linkam/device.hpp"
#include "drivers/transport/connection_string.hpp"
#include "drivers/transport/make_byte_transport.hpp"
#include "sim/linkam/simulator.hpp"

using namespace glasslab;
using namespace glasslab::acquisition;
using namespace std::chrono_literals;

namespace {

struct Sink final : Recorder {
  void record(const StageReading&) override { ++readings; }
  void record(const Event& e) override {
    std::lock_guard lock(mutex);
    events.push_back(e);
  }
  void record(const FrameRecord&) override {}
  void record(const DmaPoint&) override {}
  bool saw(const std::string& kind) {
    std::lock_guard lock(mutex);
    for (const auto& e : events)
      if (e.kind == kind) return true;
    return false;
  }
  std::atomic<int> readings{0};
  std::mutex mutex;
  std::vector<Event> events;
};

/// The simulator on its own thread, the driver on its pty, a poller and a safety monitor.
struct Bench {
  explicit Bench(safety::StageSafetyLimits limits) : clock(std::make_shared<ScaledSteadyClock>(20.0)) {
    sim::linkam::LinkamSimOptions options;
    options.clock = clock;
    options.initial_K = 300.15;
    simulator = std::make_unique<sim::linkam::LinkamSimulator>(options);
    serve = std::thread([this] { simulator->run(stop_sim); });
    auto transport = transport::make_byte_transport(
        transport::parse_connection_string("serial:" + simulator->device_path() + "?baud=19200&flow=none"));
    device = std::make_unique<linkam::LinkamDevice>(std::move(transport), linkam::DeviceOptions{});
    device->connect();
    poller = std::make_unique<StagePoller>(*device, sink, *clock, 5.0);
    monitor = std::make_unique<safety::StageSafetyMonitor>(
        limits, device->description(), sink, *clock,
        [this](linkam::SafeState state, std::chrono::milliseconds wait) { return device->enter_safe_state(state, wait); });
    poller->set_reading_observer([this](const StageReading& r) { monitor->on_reading(r); });
  }
  ~Bench() {
    monitor->stop();
    poller->stop();
    device.reset();
    stop_sim = true;
    serve.join();
  }
  /// Hold 300.15 K with the LN2 pump automatic, then start polling and watching.
  void start_holding() {
    device->set_pump_automatic();
    device->set_rate_K_per_min(10);
    device->set_limit_K(300.15);
    device->start();
    monitor->start();
    poller->start();
    REQUIRE(poller->wait_for_reading_after(0, 5000ms));
  }
  bool wait_for(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) return true;
      std::this_thread::sleep_for(10ms);
    }
    return done();
  }

  std::shared_ptr<ScaledSteadyClock> clock;
  Sink sink;
  std::unique_ptr<sim::linkam::LinkamSimulator> simulator;
  std::atomic<bool> stop_sim{false};
  std::thread serve;
  std::unique_ptr<linkam::LinkamDevice> device;
  std::unique_ptr<StagePoller> poller;
  std::unique_ptr<safety::StageSafetyMonitor> monitor;
};

safety::StageSafetyLimits limits() {
  safety::StageSafetyLimits l;
  l.max_K = 330;
  l.watchdog_s = 0.3;
  l.safe_state = linkam::SafeState::hold;
  return l;
}

}  // namespace

TEST_CASE("with no engine loop running, a runaway stage is tripped on the poller's thread and stopped") {
  Bench bench(limits());
  bench.start_holding();
  bench.simulator->apply_fault_command("runaway on");
  REQUIRE(bench.wait_for([&] { return bench.monitor->safe_state_confirmed(); }, 10s));
  const auto trip = bench.monitor->trip();
  REQUIRE(trip);
  CHECK((trip->kind == safety::InterlockKind::over_rate || trip->kind == safety::InterlockKind::over_temperature));
  CHECK(bench.simulator->snapshot().state == sim::linkam::ProgramState::stopped);
  CHECK(bench.simulator->snapshot().sample_K < 336.0);
  CHECK(bench.sink.saw("interlock"));
  CHECK(bench.sink.saw("interlock_safe_state"));
}

TEST_CASE("with the poller stuck in the driver's recovery, the watchdog's thread stops a garbling stage blind") {
  Bench bench(limits());
  bench.start_holding();
  bench.simulator->apply_fault_command("garbage 1000000");
  // Trips, sends E blind (unconfirmed, so it keeps trying); the controller executes it.
  REQUIRE(bench.wait_for([&] { return bench.simulator->snapshot().state == sim::linkam::ProgramState::stopped; }, 10s));
  const auto trip = bench.monitor->trip();
  REQUIRE(trip);
  CHECK(trip->kind == safety::InterlockKind::watchdog);
  CHECK_FALSE(bench.monitor->safe_state_confirmed());  // nothing could confirm it: the replies are garbage
  CHECK(bench.sink.saw("interlock_safe_state_failed"));
}
