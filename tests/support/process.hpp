#pragma once
// Runs a child process for end-to-end tests and captures its output (no shell involved).
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace glasslab::test {

struct ProcessResult {
  int exit_code = -1;       ///< exit status, or 128 + signal
  std::string out;
  std::string err;
  bool timed_out = false;
};

/// Runs argv; `while_running` (optional) is called once with the child's pid right after start.
ProcessResult run_process(const std::vector<std::string>& argv, std::chrono::seconds timeout,
                          const std::function<void(int pid)>& while_running = {});

/// The last non-empty line of a text.
std::string last_line(const std::string& text);

/// A child left running while the test talks to it (a run, a server). stdout and stderr are
/// collected by a reader thread; the destructor ends the child (SIGTERM, then SIGKILL) and waits.
/// With `pty`, the child's stdin, stdout and stderr are one pseudo-terminal (out() holds all),
/// as when an operator starts it in a terminal; send() types into it.
class BackgroundProcess {
public:
  BackgroundProcess(const std::vector<std::string>& argv, bool pty = false);
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  int pid() const { return pid_; }
  std::string out() const;
  std::string err() const;
  /// Waits until `needle` shows in stderr (stdout with `in_stdout`; all output for a pty) and
  /// returns that output; throws std::runtime_error naming the needle and the output on timeout.
  std::string wait_for_text(const std::string& needle, std::chrono::seconds timeout, bool in_stdout = false);
  /// Exit status (128 + signal when killed), or nullopt when still running after `timeout`.
  std::optional<int> wait_exit(std::chrono::seconds timeout);
  void send(const std::string& keys);

private:
  void read_loop(int out_fd, int err_fd);

  int pid_ = -1;
  int pty_fd_ = -1;
  std::optional<int> exit_code_;
  mutable std::mutex mutex_;
  std::string out_, err_;
  std::thread reader_;
};

/// A fresh temporary directory, removed by the destructor.
struct TempDir {
  TempDir();
  ~TempDir();
  std::string path;
};

}  // namespace glasslab::test
