// The DMA part of `glasslab run`: every dma_ramp / dma_isothermal step becomes one sweep of an
// unattended queue on the DHR-3 rheometer service (docs/rheometer-protocol.md). With --sim the
// simulated DHR-3 runs as its own program on a loopback TCP port, sharing the run's experiment
// clock; without it the schedule's [instruments.rheometer].connection is used.
//
// How the run ends (recorded in runs.exit_status / exit_reason):
//   - every sweep completed                       -> success
//   - some failed, at least one completed          -> success, reason "n of m sweeps failed: ..."
//     (an unattended night that produced data is a finished run; each failure is an event
//      `sweep_failed` with its reason and is listed in the dma_queue_summary result)
//   - none completed (all failed, or no connection) -> failed
//   - operator stop (Ctrl-C / SIGTERM, ctl, dashboard, terminal key) -> aborted
// Pause (docs/dashboard.md): the DHR-3 service has no hold command, so a paused queue waits
// between sweeps: the sweep running when the pause is asked for completes, the rheometer is left
// aborted (oven and drive off) as after every sweep, and the next sweep starts on resume.
// The rheometer is sent ABORT on every exit path (the sweep runner after each sweep, and once
// more here when the queue ends, whatever happened).
#include <algorithm>

#include <fmt/format.h>

#include "acquisition/dma/queue_runner.hpp"
#include "acquisition/dma/sweep_analysis.hpp"
#include "acquisition/dma/sweep_runner.hpp"
#include "app/run_parts.hpp"
#include "app/sim_process.hpp"
#include "core/error.hpp"
#include "drivers/rheometer/client.hpp"
#include "schedules/plan.hpp"

namespace glasslab::app {

namespace {

namespace dma = acquisition::dma;

/// `glasslab sim rheometer --sample-state` knows the two structural families only.
std::string simulator_sample_state(const std::string& schedule_state) {
  return schedule_state.rfind("hpt", 0) == 0 ? "hpt" : "as-cast";
}

nlohmann::json summary_json(const dma::QueueSummary& s) {
  nlohmann::json sweeps = nlohmann::json::array();
  for (const auto& o : s.sweeps)
    sweeps.push_back({{"name", o.name},
                      {"step_index", o.step_index},
                      {"status", std::string(dma::to_string(o.status))},
                      {"failure_kind", o.failure_kind},
                      {"reason", o.reason},
                      {"points", o.points},
                      {"duration_s", o.duration_s},
                      {"reconnects", o.reconnects}});
  return {{"sweeps", sweeps},         {"completed", s.completed},   {"failed", s.failed},
          {"aborted", s.aborted},     {"total_points", s.total_points}, {"duration_s", s.duration_s},
          {"data_location", s.data_location}};
}

class DmaPartImpl final : public DmaPart {
public:
  DmaPartImpl(const schedules::Schedule& schedule, const RunOptions& options, std::int64_t clock_origin_ns)
      : schedule_(schedule), sweeps_(dma::sweeps_from_schedule(schedule)) {
    if (options.resume) resume_from(*options.resume);
    config_ = schedule.instruments.rheometer.value_or(schedules::RheometerConfig{});
    if (options.simulate) {
      std::vector<std::string> args{"rheometer",         "--port",
                                    "0",                 "--speed",
                                    fmt::format("{}", options.speed), "--clock-origin-ns",
                                    std::to_string(clock_origin_ns), "--sample-state",
                                    simulator_sample_state(schedule.sample.state)};
      args.insert(args.end(), options.rheometer_sim_args.begin(), options.rheometer_sim_args.end());
      simulator_ = std::make_unique<SimProcess>(args, std::chrono::seconds(10));
      config_.connection = fmt::format("tcp:127.0.0.1:{}", simulator_->address());
    }
  }

  nlohmann::json configuration() const override {
    nlohmann::json sweeps = nlohmann::json::array();
    for (const auto& s : sweeps_) sweeps.push_back({{"name", s.name}, {"sample_label", s.sample_label}, {"sample_state", s.sample_state}});
    return {{"connection", config_.connection},
            {"simulated", simulator_ != nullptr},
            {"envelope",
             {{"min_K", config_.envelope.min_K},
              {"max_K", config_.envelope.max_K},
              {"max_rate_K_per_min", config_.envelope.max_rate_K_per_min}}},
            {"sweeps", sweeps}};
  }

  acquisition::RunStop execute(RunContext& context) override {
    acquisition::RunStop stop;
    try {
      stop = run_queue(context);
    } catch (const std::exception& e) {  // connection never opened, or something unforeseen
      stop.status = acquisition::ExitStatus::failed;
      stop.reason = e.what();
      summary_text_ = fmt::format("DMA queue did not run: {}", e.what());
      record_event(context, acquisition::EventLevel::error, "queue_failed", stop.reason);
    }
    stop.stop_mono_ns = context.clock.mono_ns();
    stop.stop_utc_ns = context.clock.utc_ns_at(stop.stop_mono_ns);
    return stop;
  }

  std::string summary() const override { return summary_text_; }

private:
  /// The queue's safe point: show which sweep starts, and wait here while the run is paused.
  void before_sweep(RunContext& context, std::size_t index) {
    auto& control = context.control;
    const auto& spec = sweeps_[index];
    if (control.pause_wanted() && !control.abort_requested()) {
      control.confirm_paused(fmt::format("DMA queue holds before sweep {}/{} ({}); the rheometer is idle (aborted, oven "
                                         "off)", index + 1, sweeps_.size(), spec.name));
      while (control.pause_wanted() && !control.abort_requested()) control.wait_for_change(std::chrono::milliseconds(100));
      if (!control.abort_requested())
        control.confirm_resumed(fmt::format("sweep {}/{} ({}) starts", index + 1, sweeps_.size(), spec.name));
    }
    context.status.on_dma_sweep_start(static_cast<int>(index) + 1, static_cast<int>(sweeps_.size()), spec.name,
                                      spec.step_index);
  }

  acquisition::RunStop run_queue(RunContext& context) {
    auto& control = context.control;
    control.set_pause_note("the DMA queue pauses between sweeps: the sweep running now completes first");
    rheometer::RheometerClient client(rheometer::client_options_from_connection(config_.connection));
    // Whatever happens below, the oven and drive are stopped before the client goes away.
    struct LeaveSafe {
      rheometer::RheometerClient& client;
      ~LeaveSafe() {
        try {
          if (client.connected()) client.abort();
        } catch (...) {
        }
      }
    } leave_safe{client};
    client.connect();
    record_event(context, acquisition::EventLevel::info, "connected",
                 fmt::format("rheometer {}: {}", client.description(), client.identify()));
    // The time left the panel and the dashboard show, from where the oven is now: a resumed queue,
    // or one started on a warm oven, approaches its first sweep from there, not from room temperature.
    const double oven_K = client.status().T_K;
    const schedules::Plan plan = schedules::make_plan(schedule_, schedules::kRoomTemperature_K, oven_K, first_step_);
    context.status.set_plan(plan);
    const double left_s = plan.total_s - (first_step_ < plan.steps.size() ? plan.steps[first_step_].start_s : plan.total_s);
    record_event(context, acquisition::EventLevel::info, "plan",
                 fmt::format("{} step{}, {} planned from step {} with the oven at {:.2f} K", plan.steps.size(),
                             plan.steps.size() == 1 ? "" : "s", schedules::format_hms(left_s), first_step_ + 1, oven_K));

    auto on_fit = [&context](const std::string& sweep, const nlohmann::json& fits) {
      context.store.record_analysis_result(context.run_id, "dma_fit", sweep, fits.dump());
    };
    dma::SweepFitRecorder recorder(context.recorder, on_fit);
    dma::DmaQueueRunner runner(client, context.clock, recorder);
    runner.set_before_sweep([this, &context](std::size_t index) { before_sweep(context, index); });
    if (auto* checkpoints = context.checkpoints)
      runner.set_step_callback([checkpoints](int step, bool finished) {
        finished ? checkpoints->step_finished(step) : checkpoints->step_started(step);
      });
    const std::string location = fmt::format("run {} in {}", context.run_id, context.options.db_path);
    const dma::QueueSummary summary = runner.run(sweeps_, [&control] { return control.abort_requested(); }, location);
    summary_text_ = summary.text();
    if (!summary_text_.empty() && summary_text_.back() == '\n') summary_text_.pop_back();
    context.store.record_analysis_result(context.run_id, "dma_queue_summary", "queue", summary_json(summary).dump());
    return stop_from(summary, control.abort_requested() ? control.abort_reason() : std::string());
  }

  /// `abort_reason` empty: no operator abort.
  acquisition::RunStop stop_from(const dma::QueueSummary& summary, const std::string& abort_reason) const {
    acquisition::RunStop stop;
    const std::size_t total = sweeps_.size();
    if (!abort_reason.empty() || summary.aborted > 0) {
      stop.status = acquisition::ExitStatus::aborted;
      stop.reason = fmt::format("operator stop after {} of {} sweeps{}", summary.completed, total,
                                abort_reason.empty() ? "" : ": " + abort_reason);
      return stop;
    }
    if (summary.failed == 0) {
      stop.reason = fmt::format("{} sweeps completed, {} points", summary.completed, summary.total_points);
      return stop;
    }
    std::string failures;
    for (const auto& o : summary.sweeps)
      if (o.status == dma::SweepStatus::failed)
        failures += fmt::format("{}{} ({}: {})", failures.empty() ? "" : "; ", o.name, o.failure_kind, o.reason);
    stop.status = summary.completed > 0 ? acquisition::ExitStatus::success : acquisition::ExitStatus::failed;
    stop.reason = fmt::format("{} of {} sweeps failed: {}", summary.failed, total, failures);
    return stop;
  }

  /// `glasslab resume`: the sweeps before the resume point are not run again; those that had
  /// started and run again get a new name, so their points are not mixed with the first attempt's.
  void resume_from(const ResumeOptions& resume) {
    first_step_ = static_cast<std::size_t>(std::max(resume.plan.start_step, 0));
    std::erase_if(sweeps_, [&](const dma::SweepSpec& s) { return s.step_index < resume.plan.start_step; });
    const int resumes = resume.plan.state.resumes + 1;
    for (auto& sweep : sweeps_)
      if (std::find(resume.plan.repeated_steps.begin(), resume.plan.repeated_steps.end(), sweep.step_index) !=
          resume.plan.repeated_steps.end())
        sweep.name += fmt::format(" (resume {})", resumes);
  }

  static void record_event(RunContext& context, acquisition::EventLevel level, const std::string& kind,
                           const std::string& message) {
    acquisition::record_event(context.recorder, context.clock, level, "rheometer", kind, message);
  }

  const schedules::Schedule& schedule_;  // execute_run's, alive for the whole run
  std::size_t first_step_ = 0;            // a resumed run's first step
  std::vector<dma::SweepSpec> sweeps_;
  schedules::RheometerConfig config_;
  std::unique_ptr<SimProcess> simulator_;
  std::string summary_text_ = "DMA queue: not run";
};

}  // namespace

std::unique_ptr<DmaPart> DmaPart::prepare(const schedules::Schedule& schedule, const RunOptions& options, const Clock&,
                                          std::int64_t clock_origin_ns) {
  bool uses_rheometer = false;
  for (const auto& step : schedule.steps) uses_rheometer = uses_rheometer || step.uses_rheometer();
  if (!uses_rheometer) return nullptr;
  if (!schedule.instruments.rheometer && !options.simulate)
    throw UsageError(fmt::format("{}: the schedule configures no rheometer ([instruments.rheometer])", schedule.path));
  return std::make_unique<DmaPartImpl>(schedule, options, clock_origin_ns);
}

}  // namespace glasslab::app
