#pragma once
// Runs a child process for end-to-end tests and captures its output (no shell involved).
#include <chrono>
#include <functional>
#include <string>
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

/// A fresh temporary directory, removed by the destructor.
struct TempDir {
  TempDir();
  ~TempDir();
  std::string path;
};

}  // namespace glasslab::test
