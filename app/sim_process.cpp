#include "app/sim_process.hpp"

#include <csignal>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "core/error.hpp"

namespace glasslab::app {

namespace {
std::string self_executable() {
  std::vector<char> buffer(4096);
  const ssize_t n = readlink("/proc/self/exe", buffer.data(), buffer.size() - 1);
  if (n <= 0) throw UsageError("cannot find the glasslab executable (/proc/self/exe)");
  return std::string(buffer.data(), static_cast<std::size_t>(n));
}

std::string read_first_line(int fd, std::chrono::milliseconds timeout, const std::string& who) {
  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) throw DeviceError(fmt::format("{}: no address line within {} ms", who, timeout.count()));
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char c = 0;
    const ssize_t n = read(fd, &c, 1);
    if (n <= 0) throw DeviceError(fmt::format("{}: exited before printing its address", who));
    if (c == '\n') return line;
    line += c;
  }
}
}  // namespace

SimProcess::SimProcess(const std::vector<std::string>& sim_args, std::chrono::milliseconds startup_timeout)
    : args_(sim_args) {
  int in_pipe[2], out_pipe[2];
  if (pipe(in_pipe) != 0 || pipe(out_pipe) != 0)
    throw DeviceError(fmt::format("{}: pipe: {}", name(), std::strerror(errno)));
  const std::string exe = self_executable();
  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ < 0) throw DeviceError(fmt::format("{}: fork: {}", name(), std::strerror(errno)));
  if (pid_ == 0) {
    // The simulator must not outlive a glasslab that crashed: it dies with its parent.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(1);
    dup2(in_pipe[0], STDIN_FILENO);
    dup2(out_pipe[1], STDOUT_FILENO);
    close(in_pipe[0]), close(in_pipe[1]), close(out_pipe[0]), close(out_pipe[1]);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(exe.c_str()));
    static std::string sim = "sim";
    argv.push_back(sim.data());
    for (auto& a : args_) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(exe.c_str(), argv.data());
    _exit(127);
  }
  close(in_pipe[0]);
  close(out_pipe[1]);
  stdin_fd_ = in_pipe[1];
  stdout_fd_ = out_pipe[0];
  try {
    address_ = read_first_line(stdout_fd_, startup_timeout, name());
  } catch (...) {
    terminate();
    throw;
  }
  // Keep reading what the simulator prints afterwards so it never blocks on a full pipe.
  drain_ = std::thread([fd = stdout_fd_] {
    char buffer[4096];
    while (read(fd, buffer, sizeof buffer) > 0) {
    }
  });
}

SimProcess::~SimProcess() { terminate(); }

void SimProcess::terminate() noexcept {
  if (stdin_fd_ >= 0) close(stdin_fd_), stdin_fd_ = -1;
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 100; ++i) {
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      usleep(20'000);
    }
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      pid_ = -1;
    }
  }
  if (drain_.joinable()) drain_.join();
  if (stdout_fd_ >= 0) close(stdout_fd_), stdout_fd_ = -1;
}

void SimProcess::send_control(const std::string& line) {
  const std::string text = line + "\n";
  if (write(stdin_fd_, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    throw DeviceError(fmt::format("{}: cannot send control line '{}': {}", name(), line, std::strerror(errno)));
}

std::string SimProcess::name() const {
  std::string n = "simulator 'glasslab sim";
  for (const auto& a : args_) n += " " + a;
  return n + "'";
}

}  // namespace glasslab::app
