#pragma once
// Control keys while `glasslab run` works in the foreground of a terminal (docs/dashboard.md,
// "From the terminal"): p pause, r resume, a abort (then y to confirm). The terminal that started
// the run is trusted like Ctrl-C is: no token. Each key press goes through RunControl, which logs
// it with the origin "terminal <tty>".
//
// Only when stdin is a terminal and this process is in its foreground process group. The
// terminal is put in non-canonical, no-echo mode (ISIG stays on: Ctrl-C still aborts through
// SIGINT) and restored by the destructor. SIGTTIN/SIGTTOU are ignored meanwhile, so a run moved
// to the background is never stopped by the kernel for reading its terminal.
#include <signal.h>
#include <termios.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include "acquisition/control/run_control.hpp"
#include "app/progress_printer.hpp"

namespace glasslab::app {

class TerminalKeys {
public:
  TerminalKeys(acquisition::control::RunControl& control, ProgressPrinter& printer);
  ~TerminalKeys();
  TerminalKeys(const TerminalKeys&) = delete;
  TerminalKeys& operator=(const TerminalKeys&) = delete;

  bool active() const { return active_; }
  static constexpr const char* kHint = "keys: p pause  r resume  a abort";

private:
  void loop();
  void on_key(char key);

  acquisition::control::RunControl& control_;
  ProgressPrinter& printer_;
  acquisition::control::ControlOrigin origin_;
  bool active_ = false;
  termios saved_{};
  struct sigaction saved_ttin_ {}, saved_ttou_ {};
  std::atomic<bool> stop_{false};
  std::optional<std::chrono::steady_clock::time_point> abort_prompt_since_;
  std::thread thread_;
};

}  // namespace glasslab::app
