// The simulated Linkam T95 seen from its cable: raw POSIX reads and writes on the pty it serves
// (deliberately not drivers/linkam), checked against the byte layout of
// /work/shared/reference/linkam-t95.md, plus `glasslab sim linkam` run as its own process.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/linkam/simulator.hpp"
#include "sim/linkam/t95_controller.hpp"

extern char** environ;

namespace {

using namespace glasslab::sim::linkam;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

/// The PC's end of the cable, written from the reference alone.
class PtyPeer {
public:
  explicit PtyPeer(const std::string& path) {
    fd_ = ::open(path.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK);
    REQUIRE_MESSAGE(fd_ >= 0, "cannot open " << path);
    termios tio{};
    tcgetattr(fd_, &tio);
    cfmakeraw(&tio);
    tcsetattr(fd_, TCSANOW, &tio);
  }
  ~PtyPeer() {
    if (fd_ >= 0) ::close(fd_);
  }
  PtyPeer(const PtyPeer&) = delete;
  PtyPeer& operator=(const PtyPeer&) = delete;

  int fd() const { return fd_; }

  void send(const std::string& command) {
    const std::string line = command + "\r";  // every command ends in CR
    REQUIRE(::write(fd_, line.data(), line.size()) == static_cast<ssize_t>(line.size()));
  }

  /// Bytes up to and including the next CR, or nothing if none arrives in time.
  std::optional<std::string> read_reply(std::chrono::milliseconds timeout = 1000ms) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      if (const auto cr = buffer_.find('\r'); cr != std::string::npos) {
        std::string reply = buffer_.substr(0, cr + 1);
        buffer_.erase(0, cr + 1);
        return reply;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd pfd{fd_, POLLIN, 0};
      if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) continue;
      char chunk[256];
      const ssize_t n = ::read(fd_, chunk, sizeof chunk);
      if (n > 0) buffer_.append(chunk, static_cast<std::size_t>(n));
      else if (n == 0 || (errno != EAGAIN && errno != EINTR)) return std::nullopt;
    }
  }

  std::optional<std::string> transact(const std::string& command, std::chrono::milliseconds timeout = 1000ms) {
    send(command);
    return read_reply(timeout);
  }

  /// True if not a single byte arrives for `duration`.
  bool stays_silent(std::chrono::milliseconds duration) {
    if (!buffer_.empty()) return false;
    pollfd pfd{fd_, POLLIN, 0};
    return ::poll(&pfd, 1, static_cast<int>(duration.count())) == 0;
  }

private:
  int fd_ = -1;
  std::string buffer_;
};

/// A decoded 'T' reply, decoded here independently of drivers/linkam.
struct StatusReply {
  std::uint8_t sb1 = 0, eb1 = 0, pb1 = 0;
  int deci_C = 0;
  std::string hex;
};

StatusReply decode_t_reply(const std::string& reply) {
  REQUIRE(reply.size() == 11);
  CHECK(reply.back() == '\r');
  StatusReply s;
  s.sb1 = static_cast<std::uint8_t>(reply[0]);
  s.eb1 = static_cast<std::uint8_t>(reply[1]);
  s.pb1 = static_cast<std::uint8_t>(reply[2]);
  CHECK((s.eb1 & 0x80) == 0x80);
  CHECK((s.pb1 & 0x80) == 0x80);
  CHECK(static_cast<std::uint8_t>(reply[3]) == 0x80);  // GS1
  CHECK(static_cast<std::uint8_t>(reply[4]) == 0x80);
  CHECK(static_cast<std::uint8_t>(reply[5]) == 0x80);
  s.hex = reply.substr(6, 4);
  for (char c : s.hex) CHECK_MESSAGE(((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F')), "not uppercase hex: " << s.hex);
  s.deci_C = static_cast<std::int16_t>(static_cast<std::uint16_t>(std::stoul(s.hex, nullptr, 16)));
  return s;
}

double reply_K(const StatusReply& s) { return s.deci_C / 10.0 + 273.15; }

/// The simulator serving its pty on a thread of this process.
struct RunningSim {
  explicit RunningSim(LinkamSimOptions options) : sim(std::move(options)), thread([this] { sim.run(stop); }) {}
  ~RunningSim() {
    stop = true;
    thread.join();
  }
  LinkamSimulator sim;
  std::atomic<bool> stop{false};
  std::thread thread;
};

LinkamSimOptions quiet_options(double speed = 1.0, double initial_K = 295.15) {
  LinkamSimOptions options;
  options.speed = speed;
  options.initial_K = initial_K;
  options.noise_K = 0.0;
  return options;
}

template <class Predicate>
bool wait_until(Predicate done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(2ms);
  }
  return done();
}

/// Waits for `experiment_s` of the simulator's experiment time to pass.
void wait_experiment_s(LinkamSimulator& sim, double experiment_s) {
  const double until_s = sim.experiment_time_s() + experiment_s;
  REQUIRE(wait_until([&] { return sim.experiment_time_s() >= until_s; }, 10s));
}

}  // namespace

TEST_CASE("commands before the first T are ignored, and T wakes the controller") {
  RunningSim running(quiet_options());
  PtyPeer peer(running.sim.device_path());
  peer.send("R12000");
  peer.send("L11000");
  peer.send("S");
  peer.send("E");
  CHECK(peer.stays_silent(200ms));
  auto state = running.sim.snapshot();
  CHECK_FALSE(state.awake);
  CHECK(state.state == ProgramState::stopped);
  CHECK(state.limit_register_K == doctest::Approx(298.15));  // L1 not taken while asleep

  const auto reply = peer.transact("T");
  REQUIRE(reply);
  CHECK(reply->size() == 11);
  CHECK(running.sim.snapshot().awake);
  CHECK(peer.transact("E") == std::optional<std::string>("\r"));
}

TEST_CASE("the T reply is 10 bytes + CR with the reference's temperature bytes") {
  struct Case {
    double initial_K;
    const char* hex;  // reference: 25.0 degC = 00FA, -196.0 degC = F858, 600.0 degC = 1770
  };
  for (const Case c : {Case{298.15, "00FA"}, Case{77.15, "F858"}, Case{873.15, "1770"}}) {
    CAPTURE(c.hex);
    RunningSim running(quiet_options(1.0, c.initial_K));
    PtyPeer peer(running.sim.device_path());
    const auto reply = peer.transact("T");
    REQUIRE(reply);
    const std::string expected = std::string("\x01\x80\x80\x80\x80\x80", 6) + c.hex + "\r";
    CHECK(*reply == expected);
  }
  // Automatic pump mode reports the pump byte offset by 0x40 (0xC0 + speed).
  auto options = quiet_options();
  options.pump_auto_at_power_on = true;
  RunningSim running(options);
  PtyPeer peer(running.sim.device_path());
  const auto reply = peer.transact("T");
  REQUIRE(reply);
  CHECK(decode_t_reply(*reply).pb1 == 0xC0);
}

TEST_CASE("every command without data is acknowledged by a bare CR") {
  RunningSim running(quiet_options());
  PtyPeer peer(running.sim.device_path());
  REQUIRE(peer.transact("T"));
  for (const char* command : {"R12000", "R11", "R115000", "L11250", "L10", "L1-1960", "Pa0", "Pm0", "P0", "P9", "P:",
                              "PN", "S", "O", "H", "C", "E"}) {
    CAPTURE(command);
    CHECK(peer.transact(command) == std::optional<std::string>("\r"));
  }
  const auto state = running.sim.snapshot();
  CHECK(state.limit_register_K == doctest::Approx(77.15));  // L1-1960 = -196.0 degC
  CHECK(state.rate_register_K_per_min == doctest::Approx(150.0));
  CHECK(state.manual_pump_speed == 30);  // PN = chr(0x30 + 30)
  CHECK(state.pump_mode == PumpMode::manual);
  CHECK(state.state == ProgramState::stopped);
}

TEST_CASE("invalid commands get no reply, change nothing, and flag EB1 bit5 once") {
  RunningSim running(quiet_options());
  PtyPeer peer(running.sim.device_path());
  REQUIRE(peer.transact("T"));
  for (const char* bad : {"X", "s", "t", "r12000", "R10", "R115001", "R1", "R12x00", "L17000", "L1-2000", "L1", "L1+100",
                          "P", "PO", "Pa1", "TT", "S "})
    peer.send(bad);
  CHECK(peer.stays_silent(250ms));
  const auto state = running.sim.snapshot();
  CHECK(state.state == ProgramState::stopped);
  CHECK(state.limit_register_K == doctest::Approx(298.15));
  CHECK(state.rate_register_K_per_min == doctest::Approx(10.0));

  const auto flagged = peer.transact("T");
  REQUIRE(flagged);
  CHECK(decode_t_reply(*flagged).eb1 == 0xA0);  // 0x80 | bit5 RS-232 link error
  const auto cleared = peer.transact("T");
  REQUIRE(cleared);
  CHECK(decode_t_reply(*cleared).eb1 == 0x80);
}

TEST_CASE("a ramp heats at the set rate in experiment time and holds at the limit") {
  LinkamSimOptions options;  // default sensor noise on
  options.speed = 200;
  options.seed = 7;
  RunningSim running(options);
  PtyPeer peer(running.sim.device_path());
  REQUIRE(peer.transact("T"));
  for (const char* command : {"Pa0", "R12000", "L10800", "S"}) REQUIRE(peer.transact(command) == std::optional<std::string>("\r"));

  // Two readings on the linear part of the ramp (past the first-order lag's transient).
  std::optional<std::pair<double, double>> first, second;  // (experiment s, K)
  REQUIRE(wait_until(
      [&] {
        // The reply's experiment time, bracketed by the clock before the question and after the answer.
        const double asked_s = running.sim.experiment_time_s();
        const auto reply = peer.transact("T");
        REQUIRE(reply);
        const double t_s = 0.5 * (asked_s + running.sim.experiment_time_s());
        const auto s = decode_t_reply(*reply);
        if (!first && s.deci_C >= 350) {
          CHECK(s.sb1 == 0x10);  // heating
          first = {t_s, reply_K(s)};
        }
        if (!second && s.deci_C >= 700) second = {t_s, reply_K(s)};
        return second.has_value();
      },
      5s));
  REQUIRE(first);
  const double rate_K_per_min = (second->second - first->second) / (second->first - first->first) * 60.0;
  CHECK(rate_K_per_min == doctest::Approx(20.0).epsilon(0.05));

  REQUIRE(wait_until([&] { return running.sim.snapshot().state == ProgramState::holding_limit; }, 5s));
  wait_experiment_s(running.sim, 30);  // > 5 time constants of the lag
  const auto held = peer.transact("T");
  REQUIRE(held);
  const auto s = decode_t_reply(*held);
  CHECK(s.sb1 == 0x30);
  CHECK(reply_K(s) == doctest::Approx(353.15).epsilon(0.0015));  // within 0.5 K of 80.0 degC
}

TEST_CASE("cooling below ambient stalls without the LN2 pump (EB1 bit0) and works with it") {
  RunningSim running(quiet_options(200));
  PtyPeer peer(running.sim.device_path());
  REQUIRE(peer.transact("T"));
  for (const char* command : {"Pm0", "P0", "R13000", "L1-500", "S"})
    REQUIRE(peer.transact(command) == std::optional<std::string>("\r"));
  wait_experiment_s(running.sim, 60);

  const auto stalled_reply = peer.transact("T");
  REQUIRE(stalled_reply);
  const auto stalled = decode_t_reply(*stalled_reply);
  CHECK(stalled.sb1 == 0x20);                  // still cooling: the setpoint ramps on
  CHECK((stalled.eb1 & 0x01) == 0x01);         // cooling rate cannot be held
  CHECK(reply_K(stalled) >= 295.15 - 0.15);    // free cooling cannot go below ambient
  CHECK(running.sim.snapshot().setpoint_K < 270.0);

  REQUIRE(peer.transact("Pa0") == std::optional<std::string>("\r"));
  REQUIRE(wait_until(
      [&] {
        const auto s = running.sim.snapshot();
        return s.state == ProgramState::holding_limit && std::abs(s.sample_K - 223.15) < 0.3;
      },
      8s));
  const auto cold_reply = peer.transact("T");
  REQUIRE(cold_reply);
  const auto cold = decode_t_reply(*cold_reply);
  CHECK(cold.sb1 == 0x30);
  CHECK(cold.eb1 == 0x80);
  CHECK((cold.pb1 & 0xC0) == 0xC0);  // automatic mode offset
  CHECK((cold.pb1 & 0x1F) > 0);      // the pump runs to hold -50 degC against the heat leak
  CHECK(cold.hex.substr(0, 2) == "FE");  // -50.0 degC = -500 = 0xFE0C, two's complement
  CHECK(cold.deci_C == doctest::Approx(-500).epsilon(0.01));
}

TEST_CASE("physics: free cooling from 600 degC holds 50 K/min only while hot, and the LN2 floor is 77 K") {
  ControllerOptions options;
  options.noise_K = 0.0;
  T95Controller controller(options);
  REQUIRE(controller.handle_command("T"));
  for (const char* command : {"R115000", "L16000", "S"}) REQUIRE(controller.handle_command(command) == std::string("\r"));
  controller.advance_to(600.0);
  CHECK(controller.snapshot().sample_K == doctest::Approx(873.15).epsilon(0.001));

  // Cool at 50 K/min with the pump idle: Newtonian loss is 58 K/min at 600 degC, so the sample
  // keeps up at first and falls behind (EB1 bit0) once the loss drops below the demanded rate.
  for (const char* command : {"Pm0", "P0", "R15000", "L1300", "S"}) REQUIRE(controller.handle_command(command));
  controller.advance_to(630.0);
  CHECK((controller.snapshot().eb1 & kEb1CoolingRateTooFast) == 0);
  controller.advance_to(900.0);
  const auto behind = controller.snapshot();
  CHECK((behind.eb1 & kEb1CoolingRateTooFast) != 0);
  CHECK(behind.sample_K - behind.setpoint_K > 5.0);

  for (const char* command : {"Pa0", "L1-1960", "S"}) REQUIRE(controller.handle_command(command));
  controller.advance_to(4000.0);
  const auto floor = controller.snapshot();
  CHECK(floor.sample_K >= 77.0);
  CHECK(floor.sample_K < 80.0);
  CHECK(floor.pump_speed == kPumpSpeedMax);
}

TEST_CASE("the truth sink sees the state on a fixed grid of experiment time") {
  ControllerOptions options;
  T95Controller controller(options);
  std::vector<double> times_s;
  controller.set_truth_sink(0.5, [&](const ControllerSnapshot& s) { times_s.push_back(s.t_s); });
  controller.advance_to(0.7);
  controller.advance_to(10.0);
  REQUIRE(times_s.size() == 21);  // 0, 0.5, ..., 10
  for (std::size_t i = 0; i < times_s.size(); ++i) CHECK(times_s[i] == doctest::Approx(0.5 * i));
}

TEST_CASE("fault drop: the peer sees a hangup and the symlink points to a new pty") {
  RunningSim running(quiet_options(100));
  const std::string link = running.sim.device_path();
  const std::string old_pty = fs::read_symlink(link).string();
  CHECK(old_pty == running.sim.pty_path());
  PtyPeer peer(link);
  REQUIRE(peer.transact("T"));
  REQUIRE(peer.transact("L11000") == std::optional<std::string>("\r"));

  running.sim.apply_fault_command("drop 3");  // 3 experiment s = 30 ms wall
  pollfd pfd{peer.fd(), POLLIN, 0};
  REQUIRE(::poll(&pfd, 1, 1000) == 1);
  char byte = 0;
  const ssize_t n = ::read(peer.fd(), &byte, 1);
  CHECK(((pfd.revents & (POLLHUP | POLLERR)) != 0 || n == 0 || (n < 0 && errno == EIO)));

  REQUIRE(wait_until(
      [&] {
        std::error_code ec;
        const auto target = fs::read_symlink(link, ec);
        return !ec && target.string() != old_pty;
      },
      2s));
  CHECK(fs::read_symlink(link).string() == running.sim.pty_path());
  PtyPeer again(link);
  const auto reply = again.transact("T");  // the controller stayed powered: still awake
  REQUIRE(reply);
  CHECK(decode_t_reply(*reply).sb1 == 0x01);
  CHECK(running.sim.snapshot().limit_register_K == doctest::Approx(373.15));
  const auto status = nlohmann::json::parse(running.sim.apply_fault_command("status"));
  CHECK(status["faults"]["drops"] == 1);
  CHECK(status["faults"]["dropped"] == false);
}

TEST_CASE("fault garbage: the next N replies are garbage bytes ending in CR") {
  RunningSim running(quiet_options());
  PtyPeer peer(running.sim.device_path());
  REQUIRE(peer.transact("T"));
  running.sim.apply_fault_command("garbage 2");
  const auto first = peer.transact("T");
  const auto second = peer.transact("E");  // an acknowledgement is garbled too
  REQUIRE(first);
  REQUIRE(second);
  for (const auto& garbage : {*first, *second}) {
    CHECK(garbage.back() == '\r');
    CHECK(garbage.size() >= 4);
    CHECK((static_cast<std::uint8_t>(garbage[1]) & 0x80) == 0);  // could never be an EB1 byte
  }
  const auto clean = peer.transact("T");
  REQUIRE(clean);
  CHECK(decode_t_reply(*clean).eb1 == 0x80);
}

TEST_CASE("fault silent: no reply and no action for the given experiment seconds") {
  RunningSim running(quiet_options(100));
  PtyPeer peer(running.sim.device_path());
  REQUIRE(peer.transact("T"));
  running.sim.apply_fault_command("silent 40");  // 0.4 s wall
  const double silence_ends_s = running.sim.experiment_time_s() + 40;
  peer.send("T");
  peer.send("L11000");
  CHECK(peer.stays_silent(150ms));
  CHECK(running.sim.snapshot().limit_register_K == doctest::Approx(298.15));
  REQUIRE(wait_until([&] { return running.sim.experiment_time_s() > silence_ends_s + 1; }, 3s));
  CHECK(peer.transact("T"));
}

TEST_CASE("fault late: replies arrive after the given wall delay, in order") {
  RunningSim running(quiet_options());
  PtyPeer peer(running.sim.device_path());
  REQUIRE(peer.transact("T"));
  running.sim.apply_fault_command("late 300");
  const auto sent = std::chrono::steady_clock::now();
  peer.send("T");
  peer.send("E");
  const auto status_reply = peer.read_reply(2000ms);
  const auto waited = std::chrono::steady_clock::now() - sent;
  REQUIRE(status_reply);
  CHECK(status_reply->size() == 11);
  CHECK(waited >= 280ms);
  CHECK(peer.read_reply(1000ms) == std::optional<std::string>("\r"));
  running.sim.apply_fault_command("late 0");
  CHECK(peer.transact("T", 200ms));
}

TEST_CASE("fault open circuit: EB1 bit1 and a bogus reading, until switched off") {
  RunningSim running(quiet_options(1.0, 298.15));
  PtyPeer peer(running.sim.device_path());
  REQUIRE(peer.transact("T"));
  running.sim.apply_fault_command("open_circuit on");
  const auto open = peer.transact("T");
  REQUIRE(open);
  const auto s = decode_t_reply(*open);
  CHECK(s.eb1 == 0x82);
  CHECK(s.hex == "270F");  // 999.9 degC: far outside the stage's range
  running.sim.apply_fault_command("open_circuit off");
  const auto closed = peer.transact("T");
  REQUIRE(closed);
  CHECK(decode_t_reply(*closed).eb1 == 0x80);
  CHECK(decode_t_reply(*closed).hex == "00FA");
  CHECK_THROWS(running.sim.apply_fault_command("open_circuit maybe"));
  CHECK_THROWS(running.sim.apply_fault_command("explode 3"));
}

TEST_CASE("fault runaway: full heater power while the program runs, until E cuts it") {
  RunningSim running(quiet_options(200, 300.15));
  PtyPeer peer(running.sim.device_path());
  REQUIRE(peer.transact("T"));
  // Hold 300.15 K: a healthy loop stays there.
  for (const char* command : {"R11000", "L1270", "S"}) REQUIRE(peer.transact(command) == std::optional<std::string>("\r"));
  wait_experiment_s(running.sim, 10);
  CHECK(running.sim.snapshot().sample_K == doctest::Approx(300.15).epsilon(0.001));

  running.sim.apply_fault_command("runaway on");
  const auto before = running.sim.snapshot();
  wait_experiment_s(running.sim, 30);
  const auto after = running.sim.snapshot();
  // 200 K/min of heater less the small loss near ambient: far beyond any envelope's 150 K/min.
  const double rate_K_per_min = (after.sample_K - before.sample_K) / (after.t_s - before.t_s) * 60.0;
  CHECK(rate_K_per_min > 180.0);
  CHECK(after.runaway);
  CHECK(nlohmann::json::parse(running.sim.status_json())["faults"]["runaway"] == true);

  // E stops the program and cuts the heater: the sample free-cools.
  REQUIRE(peer.transact("E") == std::optional<std::string>("\r"));
  const auto stopped = running.sim.snapshot();
  wait_experiment_s(running.sim, 10);
  CHECK(running.sim.snapshot().sample_K < stopped.sample_K);
  CHECK(running.sim.snapshot().state == ProgramState::stopped);
  CHECK_THROWS(running.sim.apply_fault_command("runaway sometimes"));
}

TEST_CASE("fault overshoot: the loop drifts to the given kelvin above its setpoint, and 0 drifts it back") {
  RunningSim running(quiet_options(200, 300.15));
  PtyPeer peer(running.sim.device_path());
  REQUIRE(peer.transact("T"));
  // The LN2 pump in automatic mode: without it only free cooling brings the sample back down.
  for (const char* command : {"Pa0", "R11000", "L1270", "S"})
    REQUIRE(peer.transact(command) == std::optional<std::string>("\r"));
  running.sim.apply_fault_command("overshoot 12.5");
  wait_experiment_s(running.sim, 30);
  // It drifts in at 10 K/min, it does not jump: after 30 s the sample is about 5 K up, not 12.5.
  CHECK(running.sim.snapshot().sample_K == doctest::Approx(304.65).epsilon(0.002));
  wait_experiment_s(running.sim, 90);  // drifted in, plus 10 time constants of the lag
  const auto reply = peer.transact("T");
  REQUIRE(reply);
  CHECK(reply_K(decode_t_reply(*reply)) == doctest::Approx(312.65).epsilon(0.001));  // the reading shows it
  CHECK(nlohmann::json::parse(running.sim.status_json())["faults"]["overshoot_K"] == doctest::Approx(12.5));
  running.sim.apply_fault_command("overshoot 0");
  wait_experiment_s(running.sim, 120);
  CHECK(running.sim.snapshot().sample_K == doctest::Approx(300.15).epsilon(0.001));
  CHECK_THROWS(running.sim.apply_fault_command("overshoot -3"));
}

namespace {

/// `glasslab sim linkam ...` as a child process with pipes on its stdin and stdout.
class SimProcess {
public:
  explicit SimProcess(std::vector<std::string> args) {
    int to_child[2], from_child[2];
    REQUIRE(::pipe(to_child) == 0);
    REQUIRE(::pipe(from_child) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, to_child[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, from_child[1], STDOUT_FILENO);
    for (int fd : {to_child[0], to_child[1], from_child[0], from_child[1]}) posix_spawn_file_actions_addclose(&actions, fd);
    args.insert(args.begin(), GLASSLAB_BINARY);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    REQUIRE(posix_spawn(&pid_, GLASSLAB_BINARY, &actions, nullptr, argv.data(), environ) == 0);
    posix_spawn_file_actions_destroy(&actions);
    ::close(to_child[0]);
    ::close(from_child[1]);
    stdin_fd_ = to_child[1];
    stdout_fd_ = from_child[0];
  }
  ~SimProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    ::close(stdin_fd_);
    ::close(stdout_fd_);
  }

  std::optional<std::string> read_line(std::chrono::milliseconds timeout = 3000ms) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      if (const auto nl = buffer_.find('\n'); nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return line;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd pfd{stdout_fd_, POLLIN, 0};
      if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) continue;
      char chunk[512];
      const ssize_t n = ::read(stdout_fd_, chunk, sizeof chunk);
      if (n <= 0) return std::nullopt;
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  void write_line(const std::string& line) {
    const std::string text = line + "\n";
    REQUIRE(::write(stdin_fd_, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  }

  /// Sends `signal` and returns the exit status (-1 if it did not exit within the timeout).
  int stop_with(int signal, std::chrono::milliseconds timeout = 3000ms) {
    ::kill(pid_, signal);
    int status = 0;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(5ms);
    }
    return -1;
  }

  int wait_exit(std::chrono::milliseconds timeout = 3000ms) { return stop_with(0, timeout); }

private:
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  std::string buffer_;
};

}  // namespace

TEST_CASE("glasslab sim linkam: path on the first stdout line, faults from flags and stdin, clean SIGTERM") {
  const fs::path dir = fs::temp_directory_path() / fmt::format("glasslab-test-sim-linkam-{}", ::getpid());
  fs::create_directories(dir);
  const fs::path link = dir / "stage";
  const fs::path truth = dir / "truth.csv";
  SimProcess process({"sim", "linkam", "--speed", "50", "--initial-K", "298.15", "--noise-K", "0", "--link",
                      link.string(), "--fault", "open_circuit:on@0", "--truth-log", truth.string(), "--truth-interval",
                      "0.5"});
  const auto first_line = process.read_line();
  REQUIRE(first_line);
  CHECK(*first_line == link.string());
  CHECK(fs::is_symlink(link));
  CHECK(fs::read_symlink(link).string().rfind("/dev/pts/", 0) == 0);

  PtyPeer peer(*first_line);
  const auto open = peer.transact("T");
  REQUIRE(open);
  CHECK(decode_t_reply(*open).eb1 == 0x82);  // --fault open_circuit:on@0

  process.write_line("open_circuit off");
  process.write_line("status");
  const auto status_line = process.read_line();
  REQUIRE(status_line);
  const auto status = nlohmann::json::parse(*status_line);
  CHECK(status["awake"] == true);
  CHECK(status["faults"]["open_circuit"] == false);
  CHECK(status["link"] == link.string());
  CHECK(status["state"] == "stopped");
  CHECK(status["T_K"].get<double>() == doctest::Approx(298.15).epsilon(0.001));

  const auto closed = peer.transact("T");
  REQUIRE(closed);
  CHECK(decode_t_reply(*closed).eb1 == 0x80);
  CHECK(decode_t_reply(*closed).hex == "00FA");
  std::this_thread::sleep_for(100ms);  // 5 experiment seconds: about 10 truth lines

  CHECK(process.stop_with(SIGTERM) == 0);
  CHECK_FALSE(fs::exists(fs::symlink_status(link)));  // the symlink is gone

  std::ifstream truth_file(truth);
  std::string header, line;
  REQUIRE(std::getline(truth_file, header));
  CHECK(header == "t_s,T_K,setpoint_K,state,clock_mono_ns");
  std::vector<double> times_s;
  while (std::getline(truth_file, line)) {
    times_s.push_back(std::stod(line.substr(0, line.find(','))));
    const auto after_t = line.substr(line.find(',') + 1);
    CHECK(std::stod(after_t.substr(0, after_t.find(','))) == doctest::Approx(298.15).epsilon(0.001));
  }
  REQUIRE(times_s.size() >= 5);
  for (std::size_t i = 0; i < times_s.size(); ++i) CHECK(times_s[i] == doctest::Approx(0.5 * i));
  fs::remove_all(dir);
}

TEST_CASE("glasslab sim linkam refuses a malformed --fault before opening anything") {
  SimProcess process({"sim", "linkam", "--fault", "explode:3@10"});
  CHECK_FALSE(process.read_line(2000ms));  // no path printed
  CHECK(process.wait_exit() == 2);
}
