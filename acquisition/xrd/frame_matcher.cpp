#include "acquisition/xrd/frame_matcher.hpp"

#include <fmt/format.h>

namespace glasslab::acquisition::xrd {

namespace {
double seconds(std::int64_t ns) { return static_cast<double>(ns) * 1e-9; }
}  // namespace

void FrameMatcher::file_arrived(const ArrivedFile& file) {
  while (!pending_.empty()) {
    const ExpectedFrame& oldest = pending_.front();
    if (oldest.end_mono_ns > file.seen_mono_ns + policy_.early_ns) break;  // no exposure had ended yet
    const bool next_also_ended =
        pending_.size() > 1 && pending_[1].end_mono_ns <= file.seen_mono_ns + policy_.early_ns;
    const std::int64_t delay = file.seen_mono_ns - oldest.end_mono_ns;
    if (next_also_ended && delay > policy_.tolerance_ns) {
      // The oldest frame's window has passed and a newer frame fits this file better in time.
      results_.push_back({oldest, std::nullopt, "missed",
                          fmt::format("no file within {:.3f} s of the exposure end; the next file ({}) matched frame {}",
                                      seconds(policy_.tolerance_ns), file.path.filename().string(), pending_[1].index)});
      pending_.pop_front();
      continue;
    }
    MatchResult result{oldest, file, "ok", {}};
    if (!file.readable) {
      result.status = "unreadable";
      result.reason = file.problem;
    } else if (delay > policy_.tolerance_ns) {
      result.status = "late";
      result.reason = fmt::format("file appeared {:.3f} s after the exposure end (tolerance {:.3f} s)", seconds(delay),
                                  seconds(policy_.tolerance_ns));
    }
    results_.push_back(std::move(result));
    pending_.pop_front();
    return;
  }
  results_.push_back({std::nullopt, file, "unmatched_file",
                      pending_.empty() ? "no trigger was waiting for a frame"
                                       : fmt::format("appeared {:.3f} s before the oldest waiting frame's exposure ended",
                                                     seconds(pending_.front().end_mono_ns - file.seen_mono_ns))});
}

void FrameMatcher::expire(std::int64_t now_mono_ns) {
  while (!pending_.empty() && now_mono_ns - pending_.front().end_mono_ns > policy_.late_ns) {
    results_.push_back({pending_.front(), std::nullopt, "missed",
                        fmt::format("no file within {:.3f} s of the exposure end", seconds(policy_.late_ns))});
    pending_.pop_front();
  }
}

void FrameMatcher::give_up(const std::string& reason) {
  for (const auto& frame : pending_) results_.push_back({frame, std::nullopt, "missed", reason});
  pending_.clear();
}

std::vector<MatchResult> FrameMatcher::take_results() {
  std::vector<MatchResult> out;
  out.swap(results_);
  return out;
}

}  // namespace glasslab::acquisition::xrd
