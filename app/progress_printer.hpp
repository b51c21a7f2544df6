#pragma once
// What the operator sees in the terminal while a run works: on a terminal, one status line
// rewritten in place; into a file or pipe, plain timestamped lines (no control characters).
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>

#include "acquisition/engine/run_engine.hpp"
#include "acquisition/recorder.hpp"

namespace glasslab::app {

class ProgressPrinter {
public:
  explicit ProgressPrinter(std::FILE* out, bool quiet = false);
  void on_progress(const acquisition::RunProgress& progress);
  /// Prints an event that needs the operator's eye (warnings and errors).
  void on_event(const acquisition::Event& event);
  /// Ends the in-place line so the next output starts on a fresh line.
  void finish();

private:
  std::string format_line(const acquisition::RunProgress& p) const;

  std::FILE* out_;
  bool quiet_;
  bool is_terminal_;
  std::chrono::steady_clock::time_point last_print_{};
  bool line_open_ = false;
  std::mutex mutex_;
};

/// Forwards every record to the store and shows warnings/errors to the operator as they happen.
class OperatorTee : public acquisition::Recorder {
public:
  OperatorTee(acquisition::Recorder& store, ProgressPrinter& printer) : store_(store), printer_(printer) {}
  void record(const acquisition::StageReading& r) override { store_.record(r); }
  void record(const acquisition::Event& e) override {
    store_.record(e);
    printer_.on_event(e);
  }
  void record(const acquisition::FrameRecord& f) override { store_.record(f); }
  void record(const acquisition::DmaPoint& p) override { store_.record(p); }

private:
  acquisition::Recorder& store_;
  ProgressPrinter& printer_;
};

/// "1 h 02 min", "3 min 05 s", "42 s".
std::string format_duration(double seconds);

}  // namespace glasslab::app
