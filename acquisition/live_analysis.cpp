// Live Seq per frame (acquisition/live_analysis.hpp). The I/O (reading the .gr file) lives here
// so that analysis/ stays pure numerics.
#include "acquisition/live_analysis.hpp"

#include <chrono>
#include <exception>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "acquisition/store/run_store.hpp"

namespace glasslab::acquisition {

std::optional<std::string> read_text_file(const std::string& path, std::string& error) noexcept {
  try {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      error = fmt::format("{}: cannot open the file", path);
      return std::nullopt;
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) {
      error = fmt::format("{}: read error", path);
      return std::nullopt;
    }
    return text.str();
  } catch (const std::exception& e) {
    error = fmt::format("{}: {}", path, e.what());
    return std::nullopt;
  }
}

FrameAnalysis to_frame_analysis(const analysis::FrameSeq& frame, RunId run, std::int64_t analyzed_utc_ns) {
  FrameAnalysis row;
  row.run_id = run;
  row.frame_index = frame.index;
  row.analyzed_utc_ns = analyzed_utc_ns;
  if (frame.seq) {
    row.rho0_per_A3 = frame.seq->rho0_per_A3;
    row.rho0_fitted = frame.seq->rho0_fitted;
    row.r_min_A = frame.seq->r_min_A;
    row.r_max_A = frame.seq->r_max_A;
    row.seq_kB_per_atom = frame.seq->seq_kB_per_atom;
    row.seq_J_per_mol_K = frame.seq->seq_J_per_mol_K;
    row.status = "ok";
  } else {
    row.status = "failed";
    row.reason = frame.reason.empty() ? std::string("no Seq (reason unknown)") : frame.reason;
  }
  return row;
}

analysis::FrameSeq analyze_frame_file(const FrameRecord& frame, const analysis::SeqOptions& options) noexcept {
  analysis::FrameSeq failed;
  try {
    failed.index = frame.index;
    failed.source = frame.file.empty() ? fmt::format("frame {}", frame.index) : frame.file;
    failed.T_mid_K = frame.T_mid_K;
    // A late file is still this frame's own file (the matcher gives a file to a frame only while
    // the next frame's exposure has not ended): its data are as good as an on-time frame's.
    if (frame.status != "ok" && frame.status != "late") {
      failed.reason = fmt::format("frame {} has status '{}'{}{}", frame.index, frame.status,
                                  frame.reason.empty() ? "" : ": ", frame.reason);
      return failed;
    }
    if (frame.file.empty()) {
      failed.reason = fmt::format("frame {} has no file", frame.index);
      return failed;
    }
    std::string error;
    const std::optional<std::string> text = read_text_file(frame.file, error);
    if (!text) {
      failed.reason = error;
      return failed;
    }
    return analysis::analyze_frame_text(frame.index, frame.T_mid_K, *text, frame.file, options);
  } catch (const std::exception& e) {  // bad_alloc, fmt errors: still a recorded reason
    failed.reason = e.what();
    return failed;
  }
}

LiveFrameAnalyzer::LiveFrameAnalyzer(analysis::SeqOptions options, Sink sink, const Clock* clock, RunId run)
    : options_(std::move(options)), sink_(std::move(sink)), clock_(clock), run_(run) {}

LiveFrameAnalyzer::LiveFrameAnalyzer(analysis::SeqOptions options, RunStore& store, const Clock* clock, RunId run)
    : LiveFrameAnalyzer(std::move(options), [&store](const FrameAnalysis& row) { store.record_frame_analysis(row); },
                        clock, run) {}

std::int64_t LiveFrameAnalyzer::now_utc_ns() const noexcept {
  if (clock_ != nullptr) return clock_->utc_ns_at(clock_->mono_ns());
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

FrameAnalysis LiveFrameAnalyzer::on_frame(const FrameRecord& frame) noexcept {
  FrameAnalysis row;
  try {
    row = to_frame_analysis(analyze_frame_file(frame, options_), run_, now_utc_ns());
  } catch (const std::exception& e) {
    row.run_id = run_;
    row.frame_index = frame.index;
    row.status = "failed";
    row.reason = e.what();
  }
  ++analysed_;
  if (row.status != "ok") ++failed_;
  if (sink_) {
    try {
      sink_(row);
    } catch (const std::exception& e) {
      ++sink_failures_;
      last_sink_error_ = e.what();
    } catch (...) {
      ++sink_failures_;
      last_sink_error_ = "unknown exception from the frame-analysis sink";
    }
  }
  return row;
}

}  // namespace glasslab::acquisition
