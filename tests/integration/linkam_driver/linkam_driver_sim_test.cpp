// LinkamDevice over SerialPort against the simulated T95 (`glasslab sim linkam`, a separate
// process on a pseudo-terminal): a ramp moves the temperature, and the driver rides through the
// simulator's garbage and cable-drop faults with the events the recovery policy promises.
#include <doctest/doctest.h>

#include <csignal>
#include <mutex>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "drivers/linkam/device.hpp"
#include "drivers/transport/connection_string.hpp"
#include "drivers/transport/make_byte_transport.hpp"

using namespace glasslab;
using namespace glasslab::linkam;
using namespace std::chrono_literals;

namespace {

/// `glasslab sim linkam --speed 50` as a child process; stdin is its fault-control channel.
class SimProcess {
public:
  SimProcess() {
    int to_child[2], from_child[2];
    REQUIRE(::pipe(to_child) == 0);
    REQUIRE(::pipe(from_child) == 0);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::dup2(to_child[0], STDIN_FILENO);
      ::dup2(from_child[1], STDOUT_FILENO);
      ::close(to_child[1]);
      ::close(from_child[0]);
      ::execl(GLASSLAB_BINARY, GLASSLAB_BINARY, "sim", "linkam", "--speed", "50", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(to_child[0]);
    ::close(from_child[1]);
    control_ = to_child[1];
    output_ = from_child[0];
    path_ = read_line(10s);
  }
  ~SimProcess() {
    if (control_ >= 0) ::close(control_);
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    if (output_ >= 0) ::close(output_);
  }
  const std::string& path() const { return path_; }
  void fault(const std::string& line) {
    const std::string text = line + "\n";
    REQUIRE(::write(control_, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  }

private:
  std::string read_line(std::chrono::milliseconds timeout) {
    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    char c = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd request{output_, POLLIN, 0};
      if (::poll(&request, 1, 100) <= 0) continue;
      if (::read(output_, &c, 1) != 1) break;
      if (c == '\n') return line;
      line += c;
    }
    FAIL("the simulator printed no pty path (got '" << line << "')");
    return {};
  }

  pid_t pid_ = -1;
  int control_ = -1;
  int output_ = -1;
  std::string path_;
};

struct EventLog {
  std::mutex mutex;
  std::vector<DeviceEvent> events;
  void add(const DeviceEvent& e) {
    std::lock_guard lock(mutex);
    events.push_back(e);
  }
  int count(const std::string& kind) {
    std::lock_guard lock(mutex);
    return static_cast<int>(std::count_if(events.begin(), events.end(), [&](auto& e) { return e.kind == kind; }));
  }
};

std::unique_ptr<LinkamDevice> connect_to(const SimProcess& sim, EventLog& log) {
  DeviceOptions options;
  options.reply_timeout = 300ms;
  options.first_backoff = 50ms;
  options.max_backoff = 400ms;
  options.max_reconnect_attempts = 12;
  auto transport = transport::make_byte_transport(transport::parse_connection_string("serial:" + sim.path() + "?flow=none"));
  auto device = std::make_unique<LinkamDevice>(std::move(transport), options, [&log](const DeviceEvent& e) { log.add(e); });
  device->connect();
  return device;
}

/// Polls at about 20 Hz until the stage reads at least `target_K` or the wall deadline passes.
double poll_until_above(LinkamDevice& device, double target_K, std::chrono::seconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  double temperature_K = 0;
  while (std::chrono::steady_clock::now() < end) {
    temperature_K = device.read_status().temperature_K;
    if (temperature_K >= target_K) break;
    std::this_thread::sleep_for(50ms);
  }
  return temperature_K;
}

/// Polls until the event log holds `kind` (the simulator reads its control line asynchronously,
/// so a fault takes effect a little after it is asked for).
bool poll_until_event(LinkamDevice& device, EventLog& log, const std::string& kind, std::chrono::seconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < end) {
    if (log.count(kind) > 0) return true;
    device.read_status();
    std::this_thread::sleep_for(20ms);
  }
  return log.count(kind) > 0;
}

}  // namespace

TEST_CASE("the driver ramps the simulated T95 and sees the temperature rise") {
  SimProcess sim;
  EventLog log;
  auto device = connect_to(sim, log);
  const auto before = device->read_status();
  CHECK(before.temperature_K > 250.0);
  CHECK(before.temperature_K < 350.0);
  CHECK(before.error_bits == 0);

  device->set_rate_K_per_min(30.0);
  device->set_limit_K(before.temperature_K + 40.0);
  device->set_pump_automatic();
  device->start();
  const auto during = device->read_status();
  CHECK((during.state == StageState::heating || during.state == StageState::holding_limit));
  CHECK(during.pump_automatic);

  // 30 K/min at speed 50 is 25 K per wall second: +15 K well within 10 s.
  const double reached_K = poll_until_above(*device, before.temperature_K + 15.0, 10s);
  CHECK(reached_K >= before.temperature_K + 15.0);

  device->enter_safe_state(SafeState::stop);
  CHECK(device->read_status().state == StageState::stopped);
  CHECK(log.count("comms_fault") == 0);
}

TEST_CASE("garbage replies are resynchronised without losing the stage") {
  SimProcess sim;
  EventLog log;
  auto device = connect_to(sim, log);
  sim.fault("garbage 2");
  REQUIRE(poll_until_event(*device, log, "comms_fault", 10s));
  const auto status = device->read_status();
  CHECK(status.temperature_K > 250.0);
  CHECK(log.count("resynchronised") >= 1);
  CHECK(log.count("reconnected") == 0);
}

TEST_CASE("a dropped line mid-ramp is reconnected and the ramp carries on") {
  SimProcess sim;
  EventLog log;
  auto device = connect_to(sim, log);
  const auto before = device->read_status();
  device->set_rate_K_per_min(20.0);
  device->set_limit_K(before.temperature_K + 60.0);
  device->start();
  sim.fault("drop 25");  // 25 experiment seconds = 0.5 s of wall time at speed 50
  REQUIRE(poll_until_event(*device, log, "reconnected", 15s));

  const double reached_K = poll_until_above(*device, before.temperature_K + 10.0, 15s);
  CHECK(reached_K >= before.temperature_K + 10.0);
  CHECK(log.count("comms_fault") >= 1);
  CHECK(log.count("reconnected") == 1);
  CHECK(log.count("state_restored") == 1);
  CHECK(device->rate_K_per_min() == doctest::Approx(20.0));
  const auto after = device->read_status();
  CHECK((after.state == StageState::heating || after.state == StageState::holding_limit));
  device->enter_safe_state(SafeState::stop);
}
