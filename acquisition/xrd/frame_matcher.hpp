#pragma once
// Frame files -> triggers, by order and time (issue 3: "glasslab watches that folder and matches
// each new file to its trigger (by order and time, within a tolerance), recording unmatched files
// and unanswered triggers"). The detector's software writes frames in order, each after its
// exposure ends, so a file belongs to the oldest frame still waiting whose exposure had ended when
// the file appeared, unless that frame's window has passed and a newer frame also qualifies.
// Pure logic: times in, decisions out, no I/O.
#include <cstdint>
#include <deque>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace glasslab::acquisition::xrd {

struct ExpectedFrame {
  int index = 0;
  std::int64_t trigger_mono_ns = 0;  ///< commanded time of the pulse that started the exposure
  std::int64_t start_mono_ns = 0, end_mono_ns = 0;
  std::string start_source;          ///< "readback" or "commanded"
  int step_index = -1;
};

struct ArrivedFile {
  std::filesystem::path path;
  std::int64_t seen_mono_ns = 0;  ///< when the watcher first saw it (experiment clock)
  bool readable = true;
  std::string problem;            ///< why not readable
};

struct MatchPolicy {
  std::int64_t tolerance_ns = 6'000'000'000;  ///< file within this of the exposure end: "ok"
  std::int64_t late_ns = 11'000'000'000;      ///< after this without a file: "missed"
  std::int64_t early_ns = 500'000'000;        ///< a file may appear this much before the end (clock skew)
};

struct MatchResult {
  std::optional<ExpectedFrame> frame;  ///< empty for a file that matched no trigger
  std::optional<ArrivedFile> file;     ///< empty for a trigger no file answered
  std::string status;                  ///< ok, late, missed, unreadable, unmatched_file
  std::string reason;
};

class FrameMatcher {
public:
  explicit FrameMatcher(MatchPolicy policy) : policy_(policy) {}

  void expect(const ExpectedFrame& frame) { pending_.push_back(frame); }
  /// Decides what the file is; results are collected for take_results().
  void file_arrived(const ArrivedFile& file);
  /// Declares frames whose window has passed without a file "missed".
  void expire(std::int64_t now_mono_ns);
  /// At the end of the acquisition: every frame still waiting is "missed" with `reason`.
  void give_up(const std::string& reason);
  std::vector<MatchResult> take_results();
  std::size_t pending() const { return pending_.size(); }

private:
  MatchPolicy policy_;
  std::deque<ExpectedFrame> pending_;
  std::vector<MatchResult> results_;
};

}  // namespace glasslab::acquisition::xrd
