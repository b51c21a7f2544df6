#pragma once
// What the operator sees in the terminal while a run works (issue 6): on a terminal, a small panel
// redrawn in place (step i of n and its kind, percent, time left, stage T, setpoint and rate,
// frames and last Seq, DMA sweep and frequency, faults, paused or not, the control keys); into a
// file or pipe, plain timestamped lines (no control characters) every 10 s and at every change of
// step or control state. Warnings, errors and operator actions are printed above the panel.
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "acquisition/control/live_status.hpp"
#include "acquisition/recorder.hpp"

namespace glasslab::app {

class ProgressPrinter {
public:
  /// `quiet`: no panel and no progress lines (events are still printed).
  ProgressPrinter(std::FILE* out, const acquisition::control::LiveStatusBoard& board, bool quiet = false);
  ~ProgressPrinter();
  ProgressPrinter(const ProgressPrinter&) = delete;
  ProgressPrinter& operator=(const ProgressPrinter&) = delete;

  bool is_terminal() const { return is_terminal_; }
  /// The last panel line, e.g. "keys: p pause  r resume  a abort"; empty for none.
  void set_key_hint(std::string hint);
  /// Starts redrawing from the board (terminal: 5 times a second).
  void start();
  /// Prints an event that needs the operator's eye: warnings, errors and operator actions.
  void on_event(const acquisition::Event& event);
  /// Prints a line above the panel (a key prompt, a notice).
  void message(const std::string& line);
  /// Stops redrawing, draws the panel a last time and ends it, so the next output starts on a
  /// fresh line. Idempotent.
  void finish();

  /// The panel's lines for a status (exposed for tests): only the lines that apply to the run.
  static std::vector<std::string> panel_lines(const acquisition::control::LiveStatus& status, const std::string& key_hint);
  /// One plain line, for logs.
  static std::string plain_line(const acquisition::control::LiveStatus& status);

private:
  void refresh_loop();
  void draw_locked(const acquisition::control::LiveStatus& status);
  void clear_panel_locked();
  void print_plain_locked(const acquisition::control::LiveStatus& status);

  std::FILE* out_;
  const acquisition::control::LiveStatusBoard& board_;
  bool quiet_;
  bool is_terminal_;
  std::string key_hint_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  bool finished_ = false;
  std::size_t panel_lines_drawn_ = 0;
  std::vector<std::string> last_panel_;
  std::chrono::steady_clock::time_point last_plain_{};
  std::string last_plain_key_;  ///< step and control state of the last plain line
  std::thread thread_;
};

/// Forwards every record to the store, feeds the live status board, and shows the operator
/// warnings, errors and control actions as they happen.
class OperatorTee : public acquisition::Recorder {
public:
  OperatorTee(acquisition::Recorder& store, acquisition::control::LiveStatusBoard& board, ProgressPrinter& printer)
      : store_(store), board_(board), printer_(printer) {}
  void record(const acquisition::StageReading& r) override { store_.record(r); }
  void record(const acquisition::Event& e) override {
    store_.record(e);
    board_.on_event(e);
    printer_.on_event(e);
  }
  void record(const acquisition::FrameRecord& f) override {
    store_.record(f);
    board_.on_frame(f);
  }
  void record(const acquisition::DmaPoint& p) override {
    store_.record(p);
    board_.on_dma_point(p);
  }

private:
  acquisition::Recorder& store_;
  acquisition::control::LiveStatusBoard& board_;
  ProgressPrinter& printer_;
};

/// "1 h 02 min", "3 min 05 s", "42 s".
std::string format_duration(double seconds);

}  // namespace glasslab::app
