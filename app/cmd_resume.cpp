// glasslab resume RUN: continue a run that crashed, failed or was aborted from the last checkpoint
// its schedule marks safe (docs/reliability.md, "Crash and resume"). The schedule is the one
// stored with the run, not the file (which may have changed since); the run keeps its id, its
// records and its events, and the resume is recorded as events of its own.
#include <algorithm>
#include <filesystem>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "acquisition/resume/resume_plan.hpp"
#include "acquisition/store/run_reader.hpp"
#include "acquisition/store/run_store.hpp"
#include "acquisition/store/sqlite.hpp"
#include "app/commands.hpp"
#include "app/run_parts.hpp"
#include "core/error.hpp"

namespace glasslab::app {

namespace {

struct ResumeRequest {
  acquisition::RunId run = 0;
  bool force = false;
  RunOptions run_options;  ///< --db, --sim, --speed (0: the run's), overrides and simulator arguments
};

nlohmann::json parse_configuration(const acquisition::RunInfo& info) {
  try {
    return nlohmann::json::parse(info.configuration_json);
  } catch (const nlohmann::json::exception&) {
    return nlohmann::json::object();
  }
}

/// The run was a dry run or a lab run; a resume must be the same kind, or the records would mix
/// simulated and real data.
void check_same_kind(const acquisition::RunInfo& info, const nlohmann::json& configuration, bool simulate) {
  const bool was_simulated = configuration.value("simulated", false);
  if (was_simulated && !simulate)
    throw UsageError(fmt::format("run {} was a dry run on simulated instruments: resume it with --sim", info.id));
  if (!was_simulated && simulate)
    throw UsageError(fmt::format("run {} ran on real instruments: resuming it on simulators (--sim) would mix "
                                 "simulated and measured data in one run",
                                 info.id));
}

/// Options the run was started with stay unless the resume overrides them.
void inherit_options(RunOptions& options, const acquisition::RunInfo& info, const nlohmann::json& configuration) {
  if (options.simulate && options.speed <= 0) options.speed = configuration.value("speed", 1.0);
  if (options.speed <= 0) options.speed = 1.0;
  if (options.operator_name.empty()) options.operator_name = info.operator_name;
  const auto stage = configuration.value("stage", nlohmann::json::object());
  if (options.poll_hz <= 0 && stage.contains("poll_hz")) options.poll_hz = stage["poll_hz"].get<double>();
  if (options.safe_state.empty() && stage.contains("safe_state")) options.safe_state = stage["safe_state"].get<std::string>();
}

/// The schedule as stored with the run, with the sample state the run used (--sample-state).
schedules::Schedule stored_schedule(const acquisition::RunInfo& info) {
  schedules::Schedule schedule = schedules::parse_schedule(info.schedule_text, info.schedule_path);
  try {
    const auto sample = nlohmann::json::parse(info.sample_json);
    const std::string state = sample.value("state", "");
    if (!state.empty() && state != schedule.sample.state) schedules::override_sample_state(schedule, state);
  } catch (const nlohmann::json::exception&) {
    // the stored schedule's own sample then
  }
  return schedule;
}

/// What the store knows about where the run stopped: the last valid stage temperature, the next
/// frame index, and the last monotonic time of any record.
struct StoredEnd {
  std::optional<double> last_stage_K;
  int next_frame_index = 0;
  acquisition::control::RecordCounts recorded;
  std::int64_t last_mono_ns = 0;
};

StoredEnd stored_end(acquisition::RunReader& reader, const acquisition::RunInfo& info) {
  StoredEnd end;
  auto& db = reader.database();
  auto last_T = db.prepare(
      "SELECT T_K FROM stage_readings WHERE run_id = ?1 AND (error_bits & 2) = 0 ORDER BY t_mono_ns DESC LIMIT 1");
  last_T.bind(1, info.id);
  if (last_T.step()) end.last_stage_K = last_T.column_optional_double(0);
  auto frames = db.prepare(
      "SELECT coalesce(max(frame_index) + 1, 0), count(*), coalesce(sum(status = 'ok'), 0), "
      "(SELECT count(*) FROM dma_points WHERE run_id = ?1) FROM frames WHERE run_id = ?1");
  frames.bind(1, info.id);
  if (frames.step()) {
    end.next_frame_index = static_cast<int>(frames.column_int(0));
    end.recorded.frames = static_cast<int>(frames.column_int(1));
    end.recorded.frames_ok = static_cast<int>(frames.column_int(2));
    end.recorded.dma_points = frames.column_int(3);
  }
  auto last = db.prepare(
      "SELECT max(t) FROM (SELECT max(t_mono_ns) AS t FROM stage_readings WHERE run_id = ?1 "
      "UNION ALL SELECT max(t_mono_ns) FROM events WHERE run_id = ?1 "
      "UNION ALL SELECT max(t_mono_ns) FROM dma_points WHERE run_id = ?1 "
      "UNION ALL SELECT max(t_end_mono_ns) FROM frames WHERE run_id = ?1)");
  last.bind(1, info.id);
  if (last.step()) end.last_mono_ns = last.column_optional_int(0).value_or(0);
  end.last_mono_ns = std::max({end.last_mono_ns, info.start_mono_ns, info.stop_mono_ns.value_or(0)});
  return end;
}

int resume_run(ResumeRequest request) {
  RunOptions& options = request.run_options;
  if (!std::filesystem::exists(options.db_path)) throw UsageError(fmt::format("no database at {}", options.db_path));
  // A run whose process died is interrupted, not running (and so resumable).
  acquisition::RunStore::mark_interrupted_runs(options.db_path);
  schedules::Schedule schedule;
  {
    acquisition::RunReader reader(options.db_path);
    const acquisition::RunInfo info = reader.run(request.run);
    const auto configuration = parse_configuration(info);
    check_same_kind(info, configuration, options.simulate);
    inherit_options(options, info, configuration);
    schedule = stored_schedule(info);
    ResumeOptions resume;
    resume.run_id = info.id;
    resume.plan = acquisition::resume::plan_resume(
        schedule, {info.id, info.exit_status, info.exit_reason, info.checkpoint_json}, request.force);
    const StoredEnd end = stored_end(reader, info);
    resume.last_mono_ns = end.last_mono_ns;
    resume.first_frame_index = end.next_frame_index;
    resume.recorded = end.recorded;
    // The T95 simulator accepts 77..873.15 K at power-on.
    if (options.simulate && end.last_stage_K) resume.stage_start_K = std::clamp(*end.last_stage_K, 77.0, 873.15);
    options.schedule_path = info.schedule_path;
    options.resume = std::move(resume);
  }
  return execute_run(schedule, options);
}

}  // namespace

void add_resume_command(CLI::App& app) {
  auto request = std::make_shared<ResumeRequest>();
  auto& options = request->run_options;
  options.db_path = default_db_path();
  options.speed = 0;  // the run's own speed unless given
  auto* resume = app.add_subcommand(
      "resume",
      "Continue a run that crashed, failed or was aborted, from the last checkpoint its schedule marks safe "
      "(refused inside a ramp unless --force)");
  resume->add_option("RUN", request->run, "run id (see glasslab runs)")->required();
  resume->add_option("--db", options.db_path, "SQLite run store")->capture_default_str();
  resume->add_flag("--force", request->force,
                   "resume even though a ramp the sample has already been through (part of) would run again");
  resume->add_flag("--sim", options.simulate, "the run was a dry run: start simulated instruments again");
  resume->add_option("--speed", options.speed, "experiment seconds per wall second (with --sim; default: the run's)")
      ->check(CLI::Range(0.001, 100000.0));
  resume->add_option("--poll-hz", options.poll_hz, "stage polling rate, 0.1..10 Hz (default: the run's)");
  resume->add_option("--safe-state", options.safe_state, "stage state on exit: stop or hold (default: the run's)")
      ->check(CLI::IsMember({"stop", "hold"}));
  resume->add_option("--operator", options.operator_name, "who resumes it (default: the run's operator)");
  resume->add_flag("--quiet", options.quiet, "no live progress line");
  resume->add_option("--stage-sim-arg", options.stage_sim_args, "extra argument for the simulated T95 (with --sim)");
  resume->add_option("--rheometer-sim-arg", options.rheometer_sim_args,
                     "extra argument for the simulated DHR-3 (with --sim)");
  resume->callback([request] {
    const int code = resume_run(*request);
    if (code != 0) throw CLI::RuntimeError(code);
  });
}

}  // namespace glasslab::app
