#include "acquisition/xrd/xrd_runner.hpp"

#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "core/error.hpp"

namespace glasslab::acquisition::xrd {

namespace {
std::int64_t to_ns(double seconds) { return static_cast<std::int64_t>(std::llround(seconds * 1e9)); }

MatchPolicy policy_for(const XrdConfig& c) {
  MatchPolicy p;
  p.tolerance_ns = to_ns(c.match_tolerance_s >= 0 ? c.match_tolerance_s : 0.5 * c.period_s);
  p.late_ns = to_ns(c.late_after_s >= 0 ? c.late_after_s : 0.9 * c.period_s);
  p.early_ns = std::min<std::int64_t>(to_ns(0.05 * c.period_s), 500'000'000);
  return p;
}
}  // namespace

XrdAcquisitionRunner::XrdAcquisitionRunner(trigger::TriggerBox& box, const Clock& clock, Recorder& recorder,
                                           XrdConfig config)
    : box_(box), clock_(clock), recorder_(recorder), config_(std::move(config)), matcher_(policy_for(config_)) {
  if (config_.period_s <= 0) throw UsageError(fmt::format("xrd: period_s = {} must be positive", config_.period_s));
  if (std::abs(config_.exposure_s - config_.period_s) > 1e-9)
    throw UsageError(fmt::format("xrd: exposure_s = {} differs from period_s = {}; in framewise external triggering "
                                 "the period between pulses is the exposure",
                                 config_.exposure_s, config_.period_s));
}

void XrdAcquisitionRunner::event(EventLevel level, const std::string& kind, const std::string& message) {
  const std::int64_t now = clock_.mono_ns();
  recorder_.record(Event{now, clock_.utc_ns_at(now), level, "trigger", kind, message});
}

void XrdAcquisitionRunner::start(const XrdStepInfo& step) {
  step_ = step;
  failure_.clear();
  previous_pulse_.reset();
  pulses_sent_ = 0;
  next_frame_index_ = step.first_frame_index;
  watcher_ = std::make_unique<FolderWatcher>(config_.watch_dir, config_.extensions);
  try {
    box_.arm();
  } catch (const std::exception& e) {
    handle_box_failure(e);
    return;
  }
  active_ = true;
  train_start_ns_ = clock_.mono_ns();
  event(EventLevel::info, "xrd_start",
        fmt::format("{}: {} frames of {} s, files from {}", box_.description(),
                    step.frame_count < 0 ? std::string("open-ended") : std::to_string(step.frame_count),
                    config_.period_s, config_.watch_dir.string()));
}

std::int64_t XrdAcquisitionRunner::next_deadline_mono_ns() const {
  if (!active_) return std::numeric_limits<std::int64_t>::max();
  return train_start_ns_ + static_cast<std::int64_t>(pulses_sent_) * to_ns(config_.period_s);
}

bool XrdAcquisitionRunner::all_frames_done() const {
  return step_.frame_count >= 0 && pulses_sent_ >= step_.frame_count + 1;
}

void XrdAcquisitionRunner::on_stage_reading(const StageReading& reading) {
  if (!stage_.empty() && reading.t_mono_ns <= stage_.back().t_mono_ns) return;  // keep the stream sorted
  stage_.push_back(reading);
}

void XrdAcquisitionRunner::handle_box_failure(const std::exception& e) {
  active_ = false;
  failure_ = e.what();
  event(EventLevel::error, "trigger_lost", fmt::format("acquisition stopped: {}", e.what()));
  if (previous_pulse_) {
    // The exposure started by the last pulse will never be read out.
    MatchResult aborted{ExpectedFrame{next_frame_index_++, previous_pulse_->commanded_ns, previous_pulse_->start_ns,
                                      clock_.mono_ns(), previous_pulse_->readback ? "readback" : "commanded",
                                      step_.step_index},
                        std::nullopt, "missed",
                        fmt::format("trigger box lost before the pulse that ends this exposure: {}", e.what())};
    decided_.push_back(aborted);
    previous_pulse_.reset();
  }
  box_.disarm();
}

void XrdAcquisitionRunner::send_due_pulse() {
  if (!active_ || all_frames_done() || clock_.mono_ns() < next_deadline_mono_ns()) return;
  trigger::PulseReport report;
  try {
    report = box_.pulse(config_.pulse_width);
  } catch (const std::exception& e) {
    handle_box_failure(e);
    return;
  }
  ++pulses_sent_;
  PulseTime now{report.commanded_mono_ns, report.commanded_mono_ns, false};
  // An edge seen right after this pulse (not before it) is this frame's real start.
  for (const auto& edge : box_.read_edges())
    if (edge.mono_ns >= report.commanded_mono_ns && !now.readback) {
      now.start_ns = edge.mono_ns;
      now.readback = true;
    }
  if (previous_pulse_) {
    matcher_.expect({next_frame_index_++, previous_pulse_->commanded_ns, previous_pulse_->start_ns, now.start_ns,
                     previous_pulse_->readback ? "readback" : "commanded", step_.step_index});
  }
  previous_pulse_ = now;
}

void XrdAcquisitionRunner::tick() {
  send_due_pulse();
  const std::int64_t now = clock_.mono_ns();
  if (watcher_)
    for (const auto& file : watcher_->poll(now)) matcher_.file_arrived(file);
  matcher_.expire(now);
  collect_results(false);
  if (active_ && all_frames_done()) stop_pulses();  // rows follow as files and readings arrive
}

void XrdAcquisitionRunner::stop_pulses() {
  if (!active_) return;
  box_.disarm();
  active_ = false;
  previous_pulse_.reset();
  event(EventLevel::info, "xrd_stop", fmt::format("{} pulses sent, {} frame rows so far", pulses_sent_, frames_recorded_));
}

void XrdAcquisitionRunner::stop() {
  if (active_) {
    box_.disarm();
    active_ = false;
    // The exposure after the last pulse is never read out in framewise mode: not a frame.
    previous_pulse_.reset();
    event(EventLevel::info, "xrd_stop", fmt::format("{} pulses sent, {} frame rows", pulses_sent_, frames_recorded_));
  }
  if (watcher_)
    for (const auto& file : watcher_->poll(clock_.mono_ns())) matcher_.file_arrived(file);
  matcher_.give_up(failed() ? "acquisition stopped: trigger box lost" : "acquisition stopped before a file arrived");
  collect_results(true);
}

void XrdAcquisitionRunner::collect_results(bool final) {
  for (auto& result : matcher_.take_results()) decided_.push_back(std::move(result));
  const std::int64_t now = clock_.mono_ns();
  const std::int64_t max_extrap_ns = to_ns(config_.max_extrapolation_s);
  while (!decided_.empty()) {
    const MatchResult& result = decided_.front();
    FrameTemperatures temperatures;
    if (result.frame) {
      // Wait until the stage stream covers the exposure end (or stop waiting) before interpolating.
      const bool covered = !stage_.empty() && stage_.back().t_mono_ns >= result.frame->end_mono_ns + kFitHalfWindow_ns;
      if (!covered && !final && now - result.frame->end_mono_ns < to_ns(config_.stage_wait_s)) break;
      temperatures = frame_temperatures(stage_, result.frame->start_mono_ns, result.frame->end_mono_ns, max_extrap_ns);
    }
    write_row(result, temperatures, final);
    decided_.pop_front();
  }
  // Readings older than every frame still to come are no longer needed (keep two for extrapolation).
  const std::int64_t keep_from = previous_pulse_ ? previous_pulse_->start_ns - max_extrap_ns : now - max_extrap_ns;
  while (stage_.size() > 2 && stage_[1].t_mono_ns < keep_from && decided_.empty() && matcher_.pending() == 0)
    stage_.pop_front();
}

void XrdAcquisitionRunner::write_row(const MatchResult& result, const FrameTemperatures& temperatures, bool) {
  FrameRecord row;
  row.status = result.status;
  row.reason = result.reason;
  if (result.file) row.file = result.file->path.string();
  if (result.frame) {
    const ExpectedFrame& f = *result.frame;
    row.index = f.index;
    row.trigger_mono_ns = f.trigger_mono_ns;
    row.t_start_mono_ns = f.start_mono_ns;
    row.t_end_mono_ns = f.end_mono_ns;
    row.t_start_utc_ns = clock_.utc_ns_at(f.start_mono_ns);
    row.t_end_utc_ns = clock_.utc_ns_at(f.end_mono_ns);
    row.start_source = f.start_source;
    row.step_index = f.step_index;
    row.T_start_K = temperatures.start.T_K;
    row.T_mid_K = temperatures.mid.T_K;
    row.T_end_K = temperatures.end.T_K;
    const std::string note = temperatures.note(config_.max_extrapolation_s);
    if (!note.empty()) row.reason = row.reason.empty() ? note : row.reason + "; " + note;
  } else {
    row.index = -1;
    row.step_index = step_.step_index;
    if (result.file) {
      row.t_start_mono_ns = row.t_end_mono_ns = result.file->seen_mono_ns;
      row.t_start_utc_ns = row.t_end_utc_ns = clock_.utc_ns_at(result.file->seen_mono_ns);
    }
  }
  recorder_.record(row);
  ++frames_recorded_;
  if (row.status == "unmatched_file")
    event(EventLevel::warning, "frame_" + row.status,
          fmt::format("file {} matched no trigger: {} (kept as a frame row with a negative index)", row.file, row.reason));
  else if (row.status != "ok")
    event(EventLevel::warning, "frame_" + row.status,
          fmt::format("frame {} {}: {}{}", row.index, row.status, row.reason, row.file.empty() ? "" : " (" + row.file + ")"));
}

}  // namespace glasslab::acquisition::xrd
