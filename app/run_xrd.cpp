// X-ray frames during `glasslab run` (issue 3): the trigger box (real, or the simulated box +
// detector started as `glasslab sim xrd` with --sim), the step attachment that paces the pulses
// and records the frames, and live Seq of every frame that arrived (issue 5).
//
// With --sim the engine, the T95 simulator and the detector share one experiment clock
// (--clock-origin-ns), and the detector reads the T95 simulator's truth log on that axis, so a
// frame's G(r) is the structure at the sample's true temperature at mid-exposure.
//
// Test hook (not a user option): GLASSLAB_XRD_SIM_UNPLUG_AFTER_S=<experiment s> makes a dry run
// send "unplug" to the simulated trigger box that long after the run began, to exercise the
// "trigger box vanishes mid-ramp" path end to end.
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "acquisition/live_analysis.hpp"
#include "acquisition/xrd/xrd_step_attachment.hpp"
#include "app/run_parts.hpp"
#include "app/sim_process.hpp"
#include "core/error.hpp"
#include "drivers/trigger/ft232h_trigger.hpp"

namespace glasslab::app {

namespace {

/// Sends "unplug" to the simulator after a delay on the experiment clock; stops early when the
/// run ends first.
class DelayedUnplug {
public:
  DelayedUnplug(SimProcess& sim, const Clock& clock, double after_s) {
    const std::int64_t due_ns = clock.mono_ns() + static_cast<std::int64_t>(after_s * 1e9);
    thread_ = std::thread([this, &sim, &clock, due_ns] {
      std::unique_lock lock(mutex_);
      while (!cancelled_ && clock.mono_ns() < due_ns)
        cv_.wait_for(lock, std::chrono::duration<double>(
                               std::max(1e-3, static_cast<double>(due_ns - clock.mono_ns()) * 1e-9 / clock.speed())));
      if (!cancelled_) {
        try {
          sim.send_control("unplug");
        } catch (...) {
        }
      }
    });
  }
  ~DelayedUnplug() {
    {
      std::lock_guard lock(mutex_);
      cancelled_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool cancelled_ = false;
  std::thread thread_;
};

class XrdPartImpl final : public XrdPart {
public:
  XrdPartImpl(const schedules::Schedule& schedule, const RunOptions& options, const Clock& clock,
              std::int64_t clock_origin_ns, const std::string& work_dir, const std::string& stage_truth_log)
      : clock_(clock) {
    if (schedule.instruments.stage) {
      const auto& stage = *schedule.instruments.stage;
      settings_.tolerance_heating_K = stage.tolerance_heating_K;
      settings_.tolerance_cooling_K = stage.tolerance_cooling_K;
      settings_.settle_s = stage.settle_s;
    }
    const schedules::TriggerConfig trigger_config = schedule.instruments.trigger.value_or(schedules::TriggerConfig{});
    settings_.base.pulse_width = std::chrono::microseconds(static_cast<long>(std::ceil(trigger_config.pulse_width_us)));
    double match_tolerance_s = schedule.instruments.detector ? schedule.instruments.detector->match_tolerance_s : 2.0;
    simulated_ = options.simulate;
    if (options.simulate) {
      if (stage_truth_log.empty())
        throw UsageError("xrd --sim: the simulated detector needs the stage simulator's truth log");
      socket_path_ = work_dir + "/ftdi.sock";
      watch_dir_ = work_dir + "/frames";
      simulator_ = std::make_unique<SimProcess>(
          std::vector<std::string>{"xrd", "--socket", socket_path_, "--out", watch_dir_, "--speed",
                                   fmt::format("{}", options.speed), "--clock-origin-ns",
                                   std::to_string(clock_origin_ns), "--stage-truth", stage_truth_log,
                                   "--sample-state", schedule.sample.state},
          std::chrono::seconds(10));
      connection_ = simulator_->address();
      // The folder is polled every idle_poll_wall_s of wall time: at high speed that is several
      // experiment seconds, which must not turn a punctual file into a "late" one.
      match_tolerance_s = std::max(match_tolerance_s, 3.0 * settings_.idle_poll_wall_s * options.speed);
    } else {
      if (!schedule.instruments.trigger || !schedule.instruments.detector || schedule.instruments.detector->watch_dir.empty())
        throw UsageError(fmt::format("{}: steps with `xrd` need [instruments.trigger] and [instruments.detector] "
                                     "with watch_dir", schedule.path));
      connection_ = trigger_config.connection;
      watch_dir_ = std::filesystem::absolute(schedule.instruments.detector->watch_dir).string();
    }
    settings_.base.watch_dir = watch_dir_;
    if (options.resume) settings_.first_frame_index = options.resume->first_frame_index;
    settings_.base.match_tolerance_s = match_tolerance_s;
    box_ = trigger::open_ft232h_trigger_box(connection_, clock_);
  }

  nlohmann::json configuration() const override {
    nlohmann::json j{{"trigger_connection", connection_},
                     {"trigger", box_.box ? box_.box->description() : std::string()},
                     {"pulse_width_us", settings_.base.pulse_width.count()},
                     {"watch_dir", watch_dir_},
                     {"match_tolerance_s", settings_.base.match_tolerance_s},
                     {"simulated", simulated_},
                     {"live_seq", true}};
    if (simulated_) j["simulator_socket"] = socket_path_;
    return j;
  }

  acquisition::StepAttachment& attach(RunContext& context) override {
    // Each result goes to the store and to the live status (the operator's "last Seq").
    auto sink = [&store = context.store, &status = context.status](const acquisition::FrameAnalysis& analysis) {
      store.record_frame_analysis(analysis);
      status.on_frame_analysis(analysis);
    };
    analyzer_ = std::make_unique<acquisition::LiveFrameAnalyzer>(analysis::SeqOptions{}, sink, &clock_, context.run_id);
    attachment_ = std::make_unique<acquisition::xrd::XrdStepAttachment>(
        *box_.box, clock_, context.recorder, settings_, [this](const acquisition::FrameRecord& frame) {
          // Live Seq of every frame whose file arrived; a failure is recorded with its reason.
          if (frame.status == "ok" && !frame.file.empty()) analyzer_->on_frame(frame);
        });
    if (simulator_)
      if (const char* after = std::getenv("GLASSLAB_XRD_SIM_UNPLUG_AFTER_S"); after && *after)
        unplug_ = std::make_unique<DelayedUnplug>(*simulator_, clock_, std::atof(after));
    return *attachment_;
  }

  std::string summary() const override {
    if (!attachment_) return "xrd: not started";
    const auto counts = attachment_->counts();
    std::string line = fmt::format("xrd: {} frame rows, {} ok, {} not ok; live Seq {} analysed, {} failed",
                                   counts.rows, counts.ok, counts.not_ok, analyzer_ ? analyzer_->analysed() : 0,
                                   analyzer_ ? analyzer_->failed() : 0);
    if (const auto failure = attachment_->failure(); !failure.empty())
      line += fmt::format("; acquisition stopped early: {}", failure);
    return line;
  }

  ~XrdPartImpl() override {
    unplug_.reset();
    attachment_.reset();  // joins the pacing thread before the box goes away
  }

private:
  const Clock& clock_;
  acquisition::xrd::XrdAttachmentSettings settings_;
  bool simulated_ = false;
  std::string socket_path_, watch_dir_, connection_;
  // Declaration order = reverse destruction order: the simulator outlives the box that talks to it.
  std::unique_ptr<SimProcess> simulator_;
  trigger::OwnedFt232hBox box_;
  std::unique_ptr<acquisition::LiveFrameAnalyzer> analyzer_;
  std::unique_ptr<acquisition::xrd::XrdStepAttachment> attachment_;
  std::unique_ptr<DelayedUnplug> unplug_;
};

}  // namespace

std::unique_ptr<XrdPart> XrdPart::prepare(const schedules::Schedule& schedule, const RunOptions& options,
                                          const Clock& clock, std::int64_t clock_origin_ns, const std::string& work_dir,
                                          const std::string& stage_truth_log) {
  bool wants_frames = false;
  for (const auto& step : schedule.steps) wants_frames = wants_frames || step.xrd.has_value();
  if (!wants_frames) return nullptr;
  return std::make_unique<XrdPartImpl>(schedule, options, clock, clock_origin_ns, work_dir, stage_truth_log);
}

}  // namespace glasslab::app
