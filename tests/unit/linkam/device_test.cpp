// LinkamDevice through a scripted transport: refusal before sending, CR acknowledgements, kelvin,
// the recovery sequence (resync, reconnect with back-off, state re-push) and thread safety.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "drivers/linkam/device.hpp"
#include "scripted_transport.hpp"

using namespace glasslab;
using namespace glasslab::linkam;
using namespace glasslab::linkam::testing;
using Strings = std::vector<std::string>;

namespace {

const std::string stopped_25C = t_reply(0x01, 0x80, 0x80, "00FA");
const std::string heating_25C = t_reply(0x10, 0x80, 0x80, "00FA");
const std::string holding_current_25C = t_reply(0x50, 0x80, 0x80, "00FA");

struct Bench {
  ScriptedTransport* fake = nullptr;
  std::vector<DeviceEvent> events;
  std::unique_ptr<LinkamDevice> device;

  explicit Bench(DeviceOptions options = fast_options()) {
    auto transport = std::make_unique<ScriptedTransport>();
    fake = transport.get();
    device = std::make_unique<LinkamDevice>(std::move(transport), options,
                                            [this](const DeviceEvent& e) { events.push_back(e); });
  }
  static DeviceOptions fast_options() {
    DeviceOptions options;
    options.first_backoff = std::chrono::milliseconds(1);
    options.max_backoff = std::chrono::milliseconds(4);
    options.max_reconnect_attempts = 3;
    return options;
  }
  void connect() {
    fake->expect("T", reply(stopped_25C));
    device->connect();
    fake->log.clear();
    events.clear();
  }
  Strings kinds() const {
    Strings out;
    for (const auto& e : events) out.push_back(e.kind);
    return out;
  }
  bool saw(const std::string& kind) const {
    for (const auto& e : events)
      if (e.kind == kind) return true;
    return false;
  }
};

}  // namespace

TEST_CASE("connect opens the line and sends T first") {
  Bench bench;
  bench.fake->expect("T", reply(stopped_25C));
  bench.device->connect();
  CHECK(bench.fake->log == Strings{"open", "flush", "T"});
  CHECK(bench.kinds() == Strings{"connected"});
}

TEST_CASE("connect retries T a few times, then fails naming the device") {
  Bench bench;
  bench.fake->expect("T", silence());
  bench.fake->expect("T", garbage("xx\r"));
  bench.fake->expect("T", silence());
  try {
    bench.device->connect();
    FAIL("connect succeeded without a reply");
  } catch (const DeviceError& e) {
    CHECK(std::string(e.what()).find("fake:linkam") != std::string::npos);
  }
  CHECK_FALSE(bench.fake->is_open());
  CHECK(bench.fake->script_done());
}

TEST_CASE("read_status converts to kelvin and reports the flags") {
  Bench bench;
  bench.connect();
  bench.fake->expect("T", reply(t_reply(0x11, 0x85, 0xC7, "F858")));
  const auto status = bench.device->read_status();
  CHECK(status.temperature_K == doctest::Approx(77.15));
  CHECK(status.state == StageState::heating);
  CHECK(status.status_byte == 0x11);
  CHECK(status.error_bits == 0x05);
  CHECK(status.cooling_rate_too_fast);
  CHECK_FALSE(status.open_circuit);
  CHECK(status.power_surge);
  CHECK(status.pump_speed == 7);
  CHECK(status.pump_automatic);
  CHECK(to_string(status.state) == "heating");
}

TEST_CASE("out-of-envelope values are refused before anything is sent") {
  Bench bench;
  bench.connect();
  const auto refused = [&](auto&& call, const std::string& value, const std::string& limit) {
    try {
      call();
      FAIL("value was accepted");
    } catch (const DeviceError& e) {
      const std::string message = e.what();
      CHECK(message.find(value) != std::string::npos);
      CHECK(message.find(limit) != std::string::npos);
    }
  };
  refused([&] { bench.device->set_rate_K_per_min(150.5); }, "150.5", "150");
  refused([&] { bench.device->set_rate_K_per_min(0.005); }, "0.005", "0.01");
  refused([&] { bench.device->set_limit_K(77.0); }, "77", "77.15");
  refused([&] { bench.device->set_limit_K(900.0); }, "900", "873.15");
  refused([&] { bench.device->set_limit_K(std::nan("")); }, "nan", "77.15");
  refused([&] { bench.device->set_pump_speed(31); }, "31", "0..30");
  CHECK(bench.fake->log.empty());  // nothing written, not even a flush
  CHECK(bench.kinds() == Strings(6, "refused_value"));
  CHECK(std::isnan(bench.device->rate_K_per_min()));
}

TEST_CASE("a configured envelope replaces the THMS600 default") {
  DeviceOptions options = Bench::fast_options();
  options.envelope.max_K = 473.15;
  options.envelope.max_rate_K_per_min = 20.0;
  Bench bench(options);
  bench.connect();
  CHECK_THROWS_AS(bench.device->set_limit_K(500.0), DeviceError);
  CHECK_THROWS_AS(bench.device->set_rate_K_per_min(30.0), DeviceError);
  CHECK(bench.fake->log.empty());
  CHECK(bench.device->envelope().max_K == 473.15);
}

TEST_CASE("envelope edges are accepted and encoded in degrees Celsius") {
  Bench bench;
  bench.connect();
  bench.fake->expect("L1-1960", ack());
  bench.fake->expect("L16000", ack());
  bench.fake->expect("R11", ack());
  bench.fake->expect("R115000", ack());
  bench.device->set_limit_K(77.15);
  bench.device->set_limit_K(873.15);
  bench.device->set_rate_K_per_min(0.01);
  bench.device->set_rate_K_per_min(150.0);
  CHECK(bench.fake->script_done());
  CHECK(bench.device->limit_K() == doctest::Approx(873.15));
  CHECK(bench.device->rate_K_per_min() == doctest::Approx(150.0));
}

TEST_CASE("accepted values are rounded to the wire and reported as rounded") {
  Bench bench;
  bench.connect();
  bench.fake->expect("L11250", ack());
  bench.fake->expect("L1270", ack());
  bench.fake->expect("R11235", ack());
  bench.device->set_limit_K(398.15);
  bench.device->set_limit_K(300.17);  // 27.02 °C -> 27.0 °C
  bench.device->set_rate_K_per_min(12.3456);
  CHECK(bench.device->limit_K() == doctest::Approx(300.15));
  CHECK(bench.device->rate_K_per_min() == doctest::Approx(12.35));
}

TEST_CASE("every command reads its bare-CR acknowledgement, so the next reply stays aligned") {
  Bench bench;
  bench.connect();
  for (const char* command : {"S", "E", "O", "H", "C", "Pa0", "Pm0", "PN"}) bench.fake->expect(command, ack());
  bench.fake->expect("T", reply(heating_25C));
  bench.device->start();
  bench.device->stop();
  bench.device->hold();
  bench.device->heat();
  bench.device->cool();
  bench.device->set_pump_automatic();
  bench.device->set_pump_manual();
  bench.device->set_pump_speed(30);
  CHECK(bench.device->read_status().state == StageState::heating);
  CHECK(bench.events.empty());
}

TEST_CASE("commands before connect are refused") {
  Bench bench;
  CHECK_THROWS_AS(bench.device->start(), DeviceError);
  CHECK_THROWS_AS(bench.device->read_status(), DeviceError);
  CHECK(bench.fake->log.empty());
}

TEST_CASE("a garbled acknowledgement: flush, resynchronise with T, send the command again") {
  Bench bench;
  bench.connect();
  bench.fake->expect("S", garbage("?\r"));
  bench.fake->expect("T", reply(heating_25C));
  bench.fake->expect("S", ack());
  bench.device->start();
  CHECK(bench.fake->log == Strings{"S", "flush", "T", "S"});
  CHECK(bench.kinds() == Strings{"comms_fault", "resync", "resynchronised"});
  CHECK(bench.events[0].is_fault);
}

TEST_CASE("a short T reply is a comms fault, the status comes from the resynchronising T") {
  Bench bench;
  bench.connect();
  bench.fake->expect("T", garbage(stopped_25C.substr(0, 7) + "\r"));
  bench.fake->expect("T", reply(t_reply(0x10, 0x80, 0x80, "0100")));
  const auto status = bench.device->read_status();
  CHECK(status.temperature_K == doctest::Approx(25.6 + 273.15));
  CHECK(bench.kinds() == Strings{"comms_fault", "resync", "resynchronised"});
}

TEST_CASE("a late reply is drained, not taken as the answer to the next T") {
  Bench bench;
  bench.connect();
  // The first T times out; its reply (25.0 °C) arrives afterwards and must be thrown away.
  bench.fake->expect("T", late(stopped_25C));
  bench.fake->expect("T", reply(t_reply(0x10, 0x80, 0x80, "0200")));
  const auto status = bench.device->read_status();
  CHECK(status.temperature_K == doctest::Approx(51.2 + 273.15));
  CHECK(bench.fake->script_done());
}

TEST_CASE("a hang-up reconnects with back-off, T first, and re-pushes rate, limit, pump and run state") {
  Bench bench;
  bench.connect();
  for (const char* command : {"R11000", "L16000", "Pa0", "S"}) bench.fake->expect(command, ack());
  bench.device->set_rate_K_per_min(10.0);
  bench.device->set_limit_K(873.15);
  bench.device->set_pump_automatic();
  bench.device->start();
  bench.fake->log.clear();

  bench.fake->expect("T", hang_up());
  bench.fake->open_failures_left = 1;  // first reconnect attempt fails: the adapter is not back yet
  bench.fake->expect("T", reply(stopped_25C));  // power-cycled controller, T first
  for (const char* command : {"R11000", "L16000", "Pa0", "S"}) bench.fake->expect(command, ack());
  const auto status = bench.device->read_status();

  CHECK(status.state == StageState::stopped);
  CHECK(bench.fake->log == Strings{"T", "close", "open failed", "close", "open", "flush", "T", "R11000", "L16000",
                                   "Pa0", "S"});
  CHECK(bench.kinds() == Strings{"comms_fault", "reconnect_attempt", "reconnect_failed", "reconnect_attempt",
                                 "reconnected", "state_restored"});
  CHECK(bench.events.back().message.find("R11000 L16000 Pa0 S") != std::string::npos);
}

TEST_CASE("after a reconnect a held stage is not sent O again, and manual pump speed is restored") {
  Bench bench;
  bench.connect();
  for (const char* command : {"Pm0", "P:", "O"}) bench.fake->expect(command, ack());
  bench.device->set_pump_manual();
  bench.device->set_pump_speed(10);
  bench.device->hold();
  bench.fake->log.clear();

  bench.fake->expect("T", hang_up());
  bench.fake->expect("T", reply(holding_current_25C));
  bench.fake->expect("Pm0", ack());
  bench.fake->expect("P:", ack());
  bench.device->read_status();
  CHECK(bench.fake->writes() == Strings{"T", "T", "Pm0", "P:"});
  CHECK(bench.fake->script_done());
}

TEST_CASE("a lost acknowledgement of O is not answered by a second O once the stage holds") {
  Bench bench;
  bench.connect();
  bench.fake->expect("O", silence());
  bench.fake->expect("T", reply(holding_current_25C));
  bench.device->hold();
  CHECK(bench.fake->writes() == Strings{"O", "T"});
}

TEST_CASE("a silent controller that never resynchronises is reconnected") {
  Bench bench;
  bench.connect();
  bench.fake->expect("E", silence());
  for (int i = 0; i < 3; ++i) bench.fake->expect("T", silence());  // resync fails
  bench.fake->expect("T", reply(stopped_25C));                     // handshake after reopening
  bench.fake->expect("E", ack());                                  // the command, sent again
  bench.device->stop();
  CHECK(bench.kinds() == Strings{"comms_fault", "resync", "reconnect_attempt", "reconnected", "state_restored"});
  CHECK(bench.fake->script_done());
}

TEST_CASE("recovery gives up after the configured attempts with a DeviceError naming the device") {
  Bench bench;
  bench.connect();
  bench.fake->expect("T", hang_up());
  bench.fake->open_failures_left = 100;
  try {
    bench.device->read_status();
    FAIL("recovered without a line");
  } catch (const DeviceError& e) {
    const std::string message = e.what();
    CHECK(message.find("fake:linkam") != std::string::npos);
    CHECK(message.find("3 reconnect attempts") != std::string::npos);
  }
  CHECK(bench.kinds() == Strings{"comms_fault", "reconnect_attempt", "reconnect_failed", "reconnect_attempt",
                                 "reconnect_failed", "reconnect_attempt", "reconnect_failed"});
}

TEST_CASE("EB1 changes are reported once, not on every poll") {
  Bench bench;
  bench.connect();
  bench.fake->expect("T", reply(t_reply(0x10, 0x82, 0x80, "00FA")));
  bench.fake->expect("T", reply(t_reply(0x10, 0x82, 0x80, "00FA")));
  bench.fake->expect("T", reply(t_reply(0x10, 0x80, 0x80, "00FA")));
  CHECK(bench.device->read_status().open_circuit);
  CHECK(bench.device->read_status().open_circuit);
  CHECK_FALSE(bench.device->read_status().open_circuit);
  CHECK(bench.kinds() == Strings{"stage_error", "stage_error_cleared"});
  CHECK(bench.events[0].message.find("open circuit") != std::string::npos);
}

TEST_CASE("enter_safe_state sends T then E, or O unless the stage already holds") {
  Bench bench;
  bench.connect();
  bench.fake->expect("T", reply(heating_25C));
  bench.fake->expect("E", ack());
  CHECK(bench.device->enter_safe_state(SafeState::stop));
  bench.fake->expect("T", reply(heating_25C));
  bench.fake->expect("O", ack());
  CHECK(bench.device->enter_safe_state(SafeState::hold));
  bench.fake->expect("T", reply(holding_current_25C));
  CHECK(bench.device->enter_safe_state(SafeState::hold));
  CHECK(bench.fake->writes() == Strings{"T", "E", "T", "O", "T"});
  CHECK(bench.kinds() == Strings{"safe_state", "safe_state", "safe_state"});
}

TEST_CASE("enter_safe_state never throws, even with no line at all") {
  Bench bench;
  bench.connect();
  bench.fake->close();
  bench.fake->open_failures_left = 100;
  CHECK_FALSE(bench.device->enter_safe_state(SafeState::stop));
  CHECK(bench.kinds() == Strings{"safe_state_failed"});
  CHECK(bench.events[0].is_fault);
}

TEST_CASE("without a valid status enter_safe_state sends E blind, also for a hold, and says it is unconfirmed") {
  for (const auto requested : {SafeState::stop, SafeState::hold}) {
    Bench bench;
    bench.connect();
    for (int attempt = 0; attempt < 3; ++attempt) bench.fake->expect("T", silence());
    bench.fake->expect("E", silence());  // its acknowledgement is as late as everything else
    CHECK_FALSE(bench.device->enter_safe_state(requested));
    CHECK(bench.fake->writes() == Strings{"T", "T", "T", "E"});
    CHECK(bench.kinds() == Strings{"safe_state_blind"});
    CHECK(bench.events[0].is_fault);
    CHECK(bench.events[0].message.find("unconfirmed") != std::string::npos);
  }
}

namespace {
/// A line whose reads hang until released, ignoring their timeout: a stuck driver call.
class StuckTransport final : public transport::ByteTransport {
public:
  void open() override { open_ = true; }
  void close() noexcept override { open_ = false; }
  bool is_open() const override { return open_; }
  void write(std::string_view, std::chrono::milliseconds) override {}
  std::string read_until(char, std::chrono::milliseconds) override {
    std::unique_lock lock(mutex_);
    if (answered_++ == 0) return t_reply(0x10, 0x80, 0x80, "00FA");  // connect's handshake
    stuck_ = true;
    changed_.notify_all();
    changed_.wait(lock, [this] { return released_; });
    return t_reply(0x10, 0x80, 0x80, "00FA");
  }
  void flush() override {}
  std::string description() const override { return "stuck:linkam"; }
  void wait_until_stuck() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return stuck_; });
  }
  void release() {
    std::lock_guard lock(mutex_);
    released_ = true;
    changed_.notify_all();
  }

private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool open_ = false, stuck_ = false, released_ = false;
  int answered_ = 0;
};
}  // namespace

TEST_CASE("enter_safe_state with a line_wait gives up behind a stuck call instead of hanging with it") {
  auto transport = std::make_unique<StuckTransport>();
  auto* stuck = transport.get();
  std::vector<DeviceEvent> events;
  std::mutex events_mutex;
  LinkamDevice device(std::move(transport), DeviceOptions{}, [&](const DeviceEvent& e) {
    std::lock_guard lock(events_mutex);
    events.push_back(e);
  });
  device.connect();
  std::thread poller([&] { device.read_status(); });
  stuck->wait_until_stuck();
  const auto asked = std::chrono::steady_clock::now();
  CHECK_FALSE(device.enter_safe_state(SafeState::stop, std::chrono::milliseconds(50)));
  CHECK(std::chrono::steady_clock::now() - asked < std::chrono::seconds(5));
  stuck->release();
  poller.join();
  std::lock_guard lock(events_mutex);
  REQUIRE_FALSE(events.empty());
  CHECK(events.back().kind == "safe_state_failed");
  CHECK(events.back().message.find("busy") != std::string::npos);
}

TEST_CASE("enter_safe_state cuts short a recovery sleeping in its back-off in another thread") {
  ScriptedTransport* fake = nullptr;
  std::atomic<bool> backing_off{false};
  DeviceOptions options;
  options.first_backoff = std::chrono::milliseconds(60'000);  // far longer than the test's timeout
  auto transport = std::make_unique<ScriptedTransport>();
  fake = transport.get();
  LinkamDevice device(std::move(transport), options, [&](const DeviceEvent& e) {
    if (e.kind == "reconnect_attempt") backing_off = true;
  });
  fake->expect("T", reply(stopped_25C));
  device.connect();
  fake->expect("T", hang_up());
  fake->expect("T", reply(heating_25C));  // the safe-state handshake
  fake->expect("E", ack());
  std::string poller_error;
  std::thread poller([&] {
    try {
      device.read_status();
    } catch (const DeviceError& e) {
      poller_error = e.what();
    }
  });
  while (!backing_off) std::this_thread::yield();
  device.enter_safe_state(SafeState::stop);
  poller.join();
  CHECK(poller_error.find("abandoned") != std::string::npos);
  CHECK(fake->script_done());
  CHECK(fake->writes() == Strings{"T", "T", "T", "E"});
}

TEST_CASE("polling and commanding from two threads keep every reply with its command") {
  Bench bench;
  bench.connect();
  bench.fake->responder_mode = true;
  constexpr int polls = 300, commands = 300;
  std::thread poller([&] {
    for (int i = 0; i < polls; ++i) CHECK(bench.device->read_status().state == StageState::heating);
  });
  for (int i = 0; i < commands; ++i) bench.device->set_pump_speed(i % 31);
  poller.join();
  const auto writes = bench.fake->writes();
  CHECK(writes.size() == static_cast<std::size_t>(polls + commands));
  CHECK(std::count(writes.begin(), writes.end(), "T") == polls);
  CHECK(bench.events.empty());  // not one misaligned reply, so no fault and no resync
}
