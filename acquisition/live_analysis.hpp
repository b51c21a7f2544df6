#pragma once
// Live Seq during a run (issue 5, item 4): when a frame's .gr file has arrived, read it, compute
// Seq with analysis::analyze_frame_text and store the result next to the frame (table
// frame_analysis). A frame that cannot be analysed (no file, unreadable, no density fit, ...) is
// recorded as "failed" with the reason and the run goes on: nothing here throws.
// The same conversion (FrameSeq -> FrameAnalysis) is used by `glasslab analyze RUN`.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "acquisition/records.hpp"
#include "analysis/run_analysis.hpp"
#include "core/clock.hpp"

namespace glasslab::acquisition {

class RunStore;

/// Reads a whole text file; nullopt (and `error` set to the reason) when it cannot be read.
std::optional<std::string> read_text_file(const std::string& path, std::string& error) noexcept;

/// The store row for one frame's outcome: "ok" with the Seq and its parameters, or "failed" with
/// the reason. `run` 0 means the store's active run.
FrameAnalysis to_frame_analysis(const analysis::FrameSeq& frame, RunId run, std::int64_t analyzed_utc_ns);

/// Reads the frame's file and computes its Seq; never throws. Frames with status "ok" or "late"
/// (its own file, arrived after the tolerance) are analysed; any other status, or no file, gives a
/// FrameSeq with the reason and no Seq.
analysis::FrameSeq analyze_frame_file(const FrameRecord& frame, const analysis::SeqOptions& options) noexcept;

class LiveFrameAnalyzer {
public:
  using Sink = std::function<void(const FrameAnalysis&)>;

  /// `sink` receives every result (e.g. RunStore::record_frame_analysis); it may be empty.
  /// `clock` stamps analyzed_utc_ns (system clock when null). `run` 0: the store's active run.
  LiveFrameAnalyzer(analysis::SeqOptions options, Sink sink, const Clock* clock = nullptr, RunId run = 0);
  /// Records into `store` (its active run, or `run` when non-zero).
  LiveFrameAnalyzer(analysis::SeqOptions options, RunStore& store, const Clock* clock = nullptr, RunId run = 0);

  /// Analyses one frame and hands the row to the sink. Never throws: a sink that throws is
  /// caught, counted in sink_failures() and its message kept in last_sink_error().
  FrameAnalysis on_frame(const FrameRecord& frame) noexcept;

  int analysed() const noexcept { return analysed_; }
  int failed() const noexcept { return failed_; }
  int sink_failures() const noexcept { return sink_failures_; }
  const std::string& last_sink_error() const noexcept { return last_sink_error_; }

private:
  std::int64_t now_utc_ns() const noexcept;

  analysis::SeqOptions options_;
  Sink sink_;
  const Clock* clock_;
  RunId run_;
  int analysed_ = 0, failed_ = 0, sink_failures_ = 0;
  std::string last_sink_error_;
};

}  // namespace glasslab::acquisition
