#pragma once
// A simulator started as a separate program (`glasslab sim ...`), the way a dry run replaces
// hardware: the driver talks to it over the same wire (pty, socket) it would use in the lab.
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace glasslab::app {

class SimProcess {
public:
  /// Starts `<this executable> sim <args...>` and waits for the first stdout line (its address).
  SimProcess(const std::vector<std::string>& sim_args, std::chrono::milliseconds startup_timeout);
  ~SimProcess();  // terminates the simulator; never throws
  SimProcess(const SimProcess&) = delete;
  SimProcess& operator=(const SimProcess&) = delete;

  /// The first line the simulator printed: a pty path, a socket, a port.
  const std::string& address() const { return address_; }
  /// Sends one run-time control line (fault switches) to the simulator's stdin.
  void send_control(const std::string& line);
  int pid() const { return pid_; }
  std::string name() const;

private:
  void terminate() noexcept;

  std::vector<std::string> args_;
  int pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  std::string address_;
  std::thread drain_;
};

}  // namespace glasslab::app
