#pragma once
// The parts of `glasslab run` beyond the stage: X-ray frames during stage steps (run_xrd.cpp) and
// DMA sweeps on the rheometer (run_dma.cpp). cmd_run.cpp prepares them (starting simulators with
// --sim) before the run row is written, so the run's configuration names every connection.
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "acquisition/control/live_status.hpp"
#include "acquisition/control/run_control.hpp"
#include "acquisition/engine/run_engine.hpp"
#include "acquisition/recorder.hpp"
#include "acquisition/resume/resume_plan.hpp"
#include "acquisition/store/run_store.hpp"
#include "core/clock.hpp"
#include "schedules/schedule.hpp"

namespace glasslab::app {

/// What `glasslab resume` (app/cmd_resume.cpp) changes in a run; a new run has none of it.
struct ResumeOptions {
  acquisition::RunId run_id = 0;
  acquisition::resume::ResumePlan plan;   ///< start step, steps that run again, the summary
  std::int64_t last_mono_ns = 0;          ///< the run's last record: the resumed clock goes on after it
  std::optional<double> stage_start_K;    ///< --sim: the simulated stage starts where the last reading was
  int first_frame_index = 0;              ///< frames continue their numbering
  acquisition::control::RecordCounts recorded;  ///< the live status counts the run's frames, not this process's
};

struct RunOptions {
  std::string schedule_path;
  bool simulate = false;
  double speed = 1.0;
  std::string db_path;
  long long db_max_bytes = 0;  ///< --db-max-bytes: cap of the store's file (0: none); beyond it writes fail as on a full disk
  double poll_hz = 0;  ///< 0: the schedule's
  std::string safe_state;
  std::string operator_name;
  std::string sample_state;  ///< overrides [sample] state (paper Table 2)
  bool quiet = false;
  std::vector<std::string> stage_sim_args;  ///< extra arguments for `glasslab sim linkam` (faults)
  std::vector<std::string> rheometer_sim_args;  ///< extra arguments for `glasslab sim rheometer` (faults)
  bool serve = false;              ///< --serve: the dashboard in this process, for this run
  std::string bind_address = "127.0.0.1";
  int port = 8470;
  bool allow_remote = false;       ///< needed to bind to anything but loopback
  bool no_keys = false;            ///< --no-keys: leave stdin alone even on a terminal
  std::optional<ResumeOptions> resume;          ///< set by `glasslab resume`
};

/// What every part needs once the run has begun.
struct RunContext {
  const RunOptions& options;
  const Clock& clock;
  std::int64_t clock_origin_ns;   ///< pass to simulators as --clock-origin-ns
  acquisition::RunStore& store;   ///< for analysis rows (record_frame_analysis, record_analysis_result)
  acquisition::Recorder& recorder;
  acquisition::RunId run_id;
  std::string work_dir;           ///< where simulators write (truth log, frames) in a dry run
  acquisition::control::RunControl& control;       ///< pause / resume / abort, checked at safe points
  acquisition::control::LiveStatusBoard& status;   ///< what the terminal panel and dashboard show
  /// Step boundaries go here (the resume checkpoints): engine and DMA queue report to it.
  acquisition::resume::CheckpointTracker* checkpoints = nullptr;
};

/// Runs a validated schedule: a new run, or with options.resume the continuation of a stored one.
/// Returns the exit status (0 success, 1 failed, 3 aborted). cmd_run.cpp.
int execute_run(const schedules::Schedule& schedule, const RunOptions& options);
/// `glasslab resume RUN ...` (cmd_resume.cpp); registered by add_run_commands.
void add_resume_command(CLI::App& app);

/// X-ray frames during stage steps that carry `xrd = {...}`.
class XrdPart {
public:
  virtual ~XrdPart() = default;
  /// Starts the simulated trigger box + detector with --sim (they read the stage truth log), else
  /// opens the real trigger box. Returns nullptr when no step acquires frames.
  static std::unique_ptr<XrdPart> prepare(const schedules::Schedule& schedule, const RunOptions& options,
                                          const Clock& clock, std::int64_t clock_origin_ns,
                                          const std::string& work_dir, const std::string& stage_truth_log);
  virtual nlohmann::json configuration() const = 0;
  /// Called once the run row exists; the engine drives the returned attachment.
  virtual acquisition::StepAttachment& attach(RunContext& context) = 0;
  /// After the engine finished: summary line for the operator (frames ok / missed / analysed).
  virtual std::string summary() const = 0;
};

/// DMA sweeps (dma_ramp, dma_isothermal) on the rheometer, as an unattended queue.
class DmaPart {
public:
  virtual ~DmaPart() = default;
  /// Starts `glasslab sim rheometer` with --sim, else uses [instruments.rheometer].connection.
  /// Returns nullptr when no step uses the rheometer.
  static std::unique_ptr<DmaPart> prepare(const schedules::Schedule& schedule, const RunOptions& options,
                                          const Clock& clock, std::int64_t clock_origin_ns);
  virtual nlohmann::json configuration() const = 0;
  /// Runs every rheometer step; never throws; leaves the rheometer aborted (safe). Abort and
  /// pause come from context.control; a pause takes effect between sweeps.
  virtual acquisition::RunStop execute(RunContext& context) = 0;
  virtual std::string summary() const = 0;
};

}  // namespace glasslab::app
