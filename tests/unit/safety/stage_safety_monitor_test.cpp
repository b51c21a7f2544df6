// The safety monitor's logic on a manual clock: watchdog, latching, safe-state retries with
// back-off, and the exit state; plus its own thread on the real clock.
#include <doctest/doctest.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "acquisition/safety/stage_safety_monitor.hpp"

using namespace glasslab;
using namespace glasslab::acquisition;
using namespace glasslab::acquisition::safety;

namespace {

struct EventSink final : Recorder {
  void record(const StageReading&) override {}
  void record(const Event& e) override {
    std::lock_guard lock(mutex);
    events.push_back(e);
  }
  void record(const FrameRecord&) override {}
  void record(const DmaPoint&) override {}
  int count(const std::string& kind) {
    std::lock_guard lock(mutex);
    int n = 0;
    for (const auto& e : events) n += e.kind == kind;
    return n;
  }
  std::mutex mutex;
  std::vector<Event> events;
};

/// Stands in for LinkamDevice::enter_safe_state: records what was asked, answers as told.
struct SafeStateCalls {
  std::atomic<int> calls{0};
  std::atomic<bool> confirm{true};
  linkam::SafeState last = linkam::SafeState::stop;
  StageSafetyMonitor::SafeStateAction action() {
    return [this](linkam::SafeState state, std::chrono::milliseconds) {
      last = state;
      ++calls;
      return confirm.load();
    };
  }
};

StageSafetyLimits limits(double watchdog_s = 10) {
  StageSafetyLimits l;
  l.max_K = 330;
  l.watchdog_s = watchdog_s;
  l.safe_state = linkam::SafeState::hold;
  return l;
}

StageReading reading(const Clock& clock, double T_K) {
  StageReading r;
  r.t_mono_ns = clock.mono_ns();
  r.T_K = T_K;
  return r;
}

}  // namespace

TEST_CASE("the watchdog trips after watchdog_s without a valid reading, and a reading resets it") {
  ManualClock clock;
  EventSink sink;
  SafeStateCalls safe;
  StageSafetyMonitor monitor(limits(10), "fake:stage", sink, clock, safe.action());
  monitor.arm();
  clock.advance_s(9.9);
  monitor.check_watchdog();
  CHECK_FALSE(monitor.trip());
  monitor.on_reading(reading(clock, 300));
  clock.advance_s(9.9);
  monitor.check_watchdog();
  CHECK_FALSE(monitor.trip());
  clock.advance_s(0.2);
  monitor.check_watchdog();
  const auto trip = monitor.trip();
  REQUIRE(trip);
  CHECK(trip->kind == InterlockKind::watchdog);
  CHECK(trip->value == doctest::Approx(10.1));
  CHECK(trip->limit == doctest::Approx(10));
  CHECK(trip->action == linkam::SafeState::hold);  // the configured state: nothing says the stage misbehaves
  CHECK(sink.count("interlock") == 1);
  CHECK(sink.events.back().message.find("last valid reading T = 300.00 K") != std::string::npos);

  monitor.act_on_trip();
  CHECK(safe.calls == 1);
  CHECK(safe.last == linkam::SafeState::hold);
  CHECK(monitor.safe_state_confirmed());
  CHECK(sink.count("interlock_safe_state") == 1);
  monitor.act_on_trip();
  CHECK(safe.calls == 1);  // confirmed: nothing more to send
}

TEST_CASE("a reading trip is latched from the poller's call, and the first trip of the run is the only one") {
  ManualClock clock;
  EventSink sink;
  SafeStateCalls safe;
  StageSafetyMonitor monitor(limits(), "fake:stage", sink, clock, safe.action());
  monitor.arm();
  monitor.on_reading(reading(clock, 336));
  REQUIRE(monitor.trip());
  CHECK(monitor.trip()->kind == InterlockKind::over_temperature);
  CHECK(monitor.trip_message().find("interlock over_temperature on Linkam T95 fake:stage") == 0);
  clock.advance_s(60);
  monitor.check_watchdog();
  monitor.on_reading(reading(clock, 340));
  CHECK(monitor.trip()->kind == InterlockKind::over_temperature);
  CHECK(sink.count("interlock") == 1);
  // Over-temperature stops the stage even though the run's safe state is hold.
  CHECK(monitor.exit_safe_state(linkam::SafeState::hold) == linkam::SafeState::stop);
}

TEST_CASE("without a trip the exit state is the configured one, and nothing trips before arm() or after stop()") {
  ManualClock clock;
  EventSink sink;
  StageSafetyMonitor monitor(limits(1), "fake:stage", sink, clock, {});
  monitor.on_reading(reading(clock, 400));
  clock.advance_s(5);
  monitor.check_watchdog();
  CHECK_FALSE(monitor.trip());
  CHECK(monitor.exit_safe_state(linkam::SafeState::hold) == linkam::SafeState::hold);
  monitor.arm();
  monitor.stop();
  clock.advance_s(5);
  monitor.check_watchdog();
  CHECK_FALSE(monitor.trip());
}

TEST_CASE("an unconfirmed safe state is retried with a doubling back-off and each failure recorded") {
  ManualClock clock;
  EventSink sink;
  SafeStateCalls safe;
  safe.confirm = false;
  StageSafetyMonitor monitor(limits(), "fake:stage", sink, clock, safe.action());
  monitor.arm();
  monitor.on_reading(reading(clock, 336));
  monitor.act_on_trip();
  CHECK(safe.calls == 1);
  monitor.act_on_trip();
  CHECK(safe.calls == 1);  // not yet: the first retry waits 1 s
  clock.advance_s(1.0);
  monitor.act_on_trip();
  CHECK(safe.calls == 2);
  clock.advance_s(1.5);
  monitor.act_on_trip();
  CHECK(safe.calls == 2);  // the second waits 2 s
  clock.advance_s(0.6);
  safe.confirm = true;
  monitor.act_on_trip();
  CHECK(safe.calls == 3);
  CHECK(monitor.safe_state_confirmed());
  CHECK(sink.count("interlock_safe_state_failed") == 2);
  CHECK(sink.count("interlock_safe_state") == 1);
}

TEST_CASE("the safety thread trips the watchdog and sends the safe state without anyone calling in") {
  ScaledSteadyClock clock(50.0);  // the watchdog counts wall time whatever the speed
  EventSink sink;
  SafeStateCalls safe;
  StageSafetyMonitor monitor(limits(0.2), "fake:stage", sink, clock, safe.action());
  const auto started = std::chrono::steady_clock::now();
  monitor.start();
  for (int i = 0; i < 500 && safe.calls == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const auto waited = std::chrono::steady_clock::now() - started;
  monitor.stop();
  REQUIRE(safe.calls >= 1);
  REQUIRE(monitor.trip());
  CHECK(monitor.trip()->kind == InterlockKind::watchdog);
  CHECK(waited >= std::chrono::milliseconds(200));  // wall seconds, not 0.2 s / 50
}
