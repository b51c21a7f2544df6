#pragma once
// Diagnostics of a schedule: every problem at once, each naming file, line, column and key, so an
// operator fixes a schedule in one pass instead of one error per attempt.
#include <string>
#include <vector>

#include "schedules/schedule.hpp"

namespace glasslab::schedules {

enum class Severity { error, warning };

struct Diagnostic {
  Severity severity = Severity::error;
  SourceLocation where;
  std::string key;      ///< diagnostic path: "step[3].rate_K_per_min", "instruments.stage.poll_Hz"
  std::string message;
  std::string value;    ///< the offending value as written/parsed, may be empty
  /// "file:line:column: key: message (value)"; warnings read "file:line:column: warning: key: ...".
  std::string to_string() const;
};

/// Semantic checks on a model (envelopes, durations, frequencies, instruments present, xrd
/// timing, sample state). Returns errors and warnings; locations come from schedule.locations
/// where known (a schedule built in code gets the step's `where` or file:0:0).
std::vector<Diagnostic> validate(const Schedule& schedule);

bool has_errors(const std::vector<Diagnostic>& diagnostics);
/// One line per diagnostic, errors first, each sorted by position in the file.
std::string format_diagnostics(std::vector<Diagnostic> diagnostics);

/// The diagnostic path of step i (0-based index into Schedule::steps): "step[i+1]".
std::string step_path(std::size_t index);

/// Frequencies glasslab accepts at all (error outside), and the paper's ranges per mode on the
/// DHR-3 (warning outside): bending 0.05..15 Hz, torsion up to 60 Hz (reference/rheometer-dma.md).
inline constexpr double kMinFrequency_Hz = 0.01, kMaxFrequency_Hz = 100;
inline constexpr double kBendingMinFrequency_Hz = 0.05, kBendingMaxFrequency_Hz = 15;
inline constexpr double kTorsionMaxFrequency_Hz = 60;
/// A DMA point averages over (delay+acquisition)/f; wider than this in temperature during a ramp
/// smears the relaxation peak, so it is warned about.
inline constexpr double kMaxPointSpan_K = 5;

}  // namespace glasslab::schedules
