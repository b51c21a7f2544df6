#pragma once
// Where `glasslab resume RUN` continues, or why it does not (docs/reliability.md, "Crash and
// resume"). Pure: the schedule and the run's stored state in, a plan or a refusal out.
//
// The rule:
//   1. A run that completed successfully, or is still being written, is not resumed.
//   2. It restarts at the last checkpoint it reached: the last step with `checkpoint = true`
//      that started, or the next step when that is a checkpoint and the step before it ended
//      (the run died between queue items). Nothing started yet: from step 1.
//   3. Steps from there up to the one in progress run again, from their beginnings. If one of
//      them is a ramp (`ramp` or `dma_ramp`) that had started, the sample has been through (part
//      of) it: the resume is refused unless forced, and the refusal names the run, the step and why.
//      Holds and isothermal sweeps may run again: the sample is where they put it.
//   4. No checkpoint reached: refused, even when forced (there is no safe place to continue from).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "acquisition/records.hpp"
#include "acquisition/resume/checkpoints.hpp"
#include "schedules/schedule.hpp"

namespace glasslab::acquisition::resume {

/// What the planner needs to know about the stored run.
struct StoredRun {
  RunId id = 0;
  std::string exit_status;  ///< after mark_interrupted_runs: success, aborted, failed, interrupted, running
  std::string exit_reason;
  std::optional<std::string> checkpoint_json;
};

struct ResumePlan {
  int start_step = 0;                 ///< 0-based: the first step that runs
  std::vector<int> repeated_steps;    ///< steps that had started and run again
  std::vector<int> repeated_ramps;    ///< those of them that are ramps (needs force)
  bool forced = false;
  CheckpointState state;              ///< as stored; resumes not yet counted
  std::string summary;                ///< one line for the run's events and the terminal
  std::string forced_warning;         ///< non-empty when forced past a ramp
};

/// "step 2/3 ramp to 873.15 K at 10 K/min" (1-based, with the label if there is one).
std::string describe_step(const schedules::Schedule& schedule, int step_index);

/// Throws UsageError (the resume is refused) with a message naming the run, the step and why.
ResumePlan plan_resume(const schedules::Schedule& schedule, const StoredRun& run, bool force);

/// The steady-clock origin (ns) for a resumed run's ScaledSteadyClock(speed, origin), so that its
/// experiment time goes on after `last_mono_ns` instead of starting over: in a dry run experiment
/// time runs ahead of the host's, and a resumed dry run must not record times before those it
/// already has. At speed 1 experiment time is the host's monotonic time (the same boot: it has
/// moved on by itself), so the origin is simply now.
std::int64_t resumed_clock_origin_ns(double speed, std::int64_t steady_now_ns, std::int64_t last_mono_ns);

}  // namespace glasslab::acquisition::resume
