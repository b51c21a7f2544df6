// `glasslab sim rheometer` as a process: the bound port on the first stdout line, the command
// set over loopback TCP, and run-time fault switches typed on its stdin.
#include <doctest/doctest.h>

#include <csignal>
#include <cstdio>
#include <string>
#include <thread>
#include <sys/wait.h>
#include <unistd.h>

#include "drivers/rheometer/client.hpp"

using namespace glasslab::rheometer;

namespace {

struct SimProcess {
  SimProcess() {
    int to_child[2], from_child[2];
    REQUIRE(pipe(to_child) == 0);
    REQUIRE(pipe(from_child) == 0);
    pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      dup2(to_child[0], STDIN_FILENO);
      dup2(from_child[1], STDOUT_FILENO);
      close(to_child[1]);
      close(from_child[0]);
      execl(GLASSLAB_BINARY, GLASSLAB_BINARY, "sim", "rheometer", "--port", "0", "--speed", "200", "--seed", "3",
            static_cast<char*>(nullptr));
      _exit(127);
    }
    close(to_child[0]);
    close(from_child[1]);
    stdin_fd = to_child[1];
    stdout_file = fdopen(from_child[0], "r");
    char line[64] = {};
    REQUIRE(std::fgets(line, sizeof line, stdout_file) != nullptr);
    port = static_cast<std::uint16_t>(std::stoi(line));
  }
  ~SimProcess() {
    if (pid > 0) {
      kill(pid, SIGTERM);
      waitpid(pid, nullptr, 0);
    }
    if (stdout_file) std::fclose(stdout_file);
    if (stdin_fd >= 0) close(stdin_fd);
  }
  void type(const std::string& line) {
    REQUIRE(write(stdin_fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the console thread applies it
  }
  int stop() {
    int status = 0;
    kill(pid, SIGTERM);
    waitpid(pid, &status, 0);
    pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  pid_t pid = -1;
  int stdin_fd = -1;
  FILE* stdout_file = nullptr;
  std::uint16_t port = 0;
};

}  // namespace

TEST_CASE("glasslab sim rheometer: port on stdout, commands over TCP, faults from stdin") {
  SimProcess sim;
  REQUIRE(sim.port != 0);
  ClientOptions options;
  options.port = sim.port;
  options.reply_timeout = std::chrono::milliseconds(1000);
  options.backoff_initial = std::chrono::milliseconds(10);
  RheometerClient client(options);
  CHECK(client.identify() == "glasslab,DHR-3 SIM,SIM0001,1.0");
  SweepConfiguration c;
  c.mode = Mode::bending;
  c.geometry = {Geometry::Shape::three_point_bending, 15, 4, 1};
  c.frequencies_Hz = {1, 10};
  c.temperature = TemperatureRamp{300, 400, 10};
  client.configure(c);
  client.start();
  CHECK(client.status().running());

  sim.type("drop\n");  // every connection closed: the client reconnects and carries on
  CHECK(client.status().running());
  CHECK(client.reconnect_count() >= 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const auto points = client.fetch_new_points();
  REQUIRE_FALSE(points.empty());
  CHECK(points.front().index == 1);
  CHECK(points.front().mode == Mode::bending);
  CHECK(points.front().force_N > 0);  // bending reports the oscillation force

  sim.type("error 302\n");
  CHECK(client.status().faulted());
  const auto entry = client.next_error();
  REQUIRE(entry.has_value());
  CHECK(entry->code == 302);
  CHECK(sim.stop() == 0);  // SIGTERM: a clean exit
}
