#include "acquisition/control/live_status.hpp"

#include <algorithm>
#include <cmath>

namespace glasslab::acquisition::control {

namespace {
nlohmann::json optional_number(const std::optional<double>& value) {
  if (!value || !std::isfinite(*value)) return nullptr;
  return *value;
}
}  // namespace

nlohmann::json to_json(const LiveStatus& s) {
  return {{"step_index", s.step_index},
          {"step_count", s.step_count},
          {"step_kind", s.step_kind},
          {"step_description", s.step_description},
          {"run_fraction", s.run_fraction},
          {"remaining_s", s.remaining_s},
          {"elapsed_s", s.elapsed_s},
          {"T_K", optional_number(s.T_K)},
          {"setpoint_K", optional_number(s.setpoint_K)},
          {"rate_K_per_min", optional_number(s.rate_K_per_min)},
          {"stage_state", s.stage_state},
          {"frames", s.frames},
          {"frames_ok", s.frames_ok},
          {"last_seq_kB_per_atom", optional_number(s.last_seq_kB_per_atom)},
          {"last_seq_T_K", optional_number(s.last_seq_T_K)},
          {"last_seq_frame", s.last_seq_frame},
          {"dma_sweep", s.dma_sweep},
          {"dma_sweep_number", s.dma_sweep_number},
          {"dma_sweep_count", s.dma_sweep_count},
          {"dma_frequency_Hz", optional_number(s.dma_frequency_Hz)},
          {"dma_T_K", optional_number(s.dma_T_K)},
          {"dma_points", s.dma_points},
          {"faults", s.faults},
          {"control_state", s.control_state},
          {"pause_note", s.pause_note},
          {"paused_s", s.paused_s},
          {"t_mono_ns", s.t_mono_ns},
          {"t_utc_ns", s.t_utc_ns}};
}

LiveStatusBoard::LiveStatusBoard(const Clock& clock, const RunControl* control)
    : clock_(clock), control_(control), run_start_ns_(clock.mono_ns()) {}

void LiveStatusBoard::set_control(const RunControl* control) {
  std::lock_guard lock(mutex_);
  control_ = control;
}

void LiveStatusBoard::set_plan(const schedules::Plan& plan) {
  std::lock_guard lock(mutex_);
  plan_ = plan;
  status_.step_count = static_cast<int>(plan.steps.size());
  status_.remaining_s = plan.total_s;
}

void LiveStatusBoard::on_progress(const RunProgress& p) {
  std::lock_guard lock(mutex_);
  engine_progress_ = true;
  status_.step_index = p.step_index;
  status_.step_count = p.step_count;
  status_.step_kind = p.step_kind;
  status_.step_description = p.step_description;
  status_.run_fraction = p.run_fraction;
  status_.remaining_s = p.remaining_s;
  status_.T_K = p.T_K;
  status_.setpoint_K = p.setpoint_K;
  status_.rate_K_per_min = p.rate_K_per_min;
  status_.stage_state = p.stage_state;
  engine_faults_ = p.faults;
}

void LiveStatusBoard::count_earlier_records(const RecordCounts& earlier) {
  std::lock_guard lock(mutex_);
  status_.frames += earlier.frames;
  status_.frames_ok += earlier.frames_ok;
  status_.dma_points += earlier.dma_points;
}

void LiveStatusBoard::on_frame(const FrameRecord& frame) {
  std::lock_guard lock(mutex_);
  ++status_.frames;
  if (frame.status == "ok") ++status_.frames_ok;
  if (frame.T_mid_K) frame_T_mid_K_[frame.index] = *frame.T_mid_K;
}

void LiveStatusBoard::on_frame_analysis(const FrameAnalysis& analysis) {
  if (analysis.status != "ok" || !analysis.seq_kB_per_atom) return;
  std::lock_guard lock(mutex_);
  status_.last_seq_kB_per_atom = analysis.seq_kB_per_atom;
  status_.last_seq_frame = analysis.frame_index;
  const auto T = frame_T_mid_K_.find(analysis.frame_index);
  status_.last_seq_T_K = T == frame_T_mid_K_.end() ? std::optional<double>() : T->second;
}

void LiveStatusBoard::on_dma_sweep_start(int sweep_number, int sweep_count, const std::string& name, int step_index) {
  std::lock_guard lock(mutex_);
  status_.dma_sweep = name;
  status_.dma_sweep_number = sweep_number;
  status_.dma_sweep_count = sweep_count;
  status_.dma_frequency_Hz.reset();
  status_.step_index = step_index;
  step_start_ns_ = clock_.mono_ns();
  if (plan_ && step_index >= 0 && static_cast<std::size_t>(step_index) < plan_->steps.size()) {
    const auto& planned = plan_->steps[static_cast<std::size_t>(step_index)];
    status_.step_kind = planned.kind;
    status_.step_description = planned.description;
  }
}

void LiveStatusBoard::on_dma_point(const DmaPoint& point) {
  std::lock_guard lock(mutex_);
  status_.dma_frequency_Hz = point.frequency_Hz;
  status_.dma_T_K = point.T_K;
  ++status_.dma_points;
}

void LiveStatusBoard::on_event(const Event& e) {
  // The engine counts the stage's faults and gaps itself (RunProgress::faults); the other
  // instruments' warnings are counted here. Operator requests are not faults.
  if (e.level < EventLevel::warning) return;
  if (e.source == "engine" || e.source == "linkam" || e.source == "operator") return;
  std::lock_guard lock(mutex_);
  ++other_faults_;
}

void LiveStatusBoard::apply_planned_progress_locked(LiveStatus& s, std::int64_t now_ns) const {
  if (engine_progress_ || !plan_ || s.step_index < 0) return;
  const auto index = static_cast<std::size_t>(s.step_index);
  if (index >= plan_->steps.size()) return;
  const auto& planned = plan_->steps[index];
  const double in_step_s = static_cast<double>(now_ns - step_start_ns_) * 1e-9;
  const double done_s = planned.start_s + std::min(in_step_s, planned.duration_s);
  s.run_fraction = plan_->total_s > 0 ? std::clamp(done_s / plan_->total_s, 0.0, 1.0) : 0.0;
  s.remaining_s = std::max(0.0, plan_->total_s - done_s);
}

LiveStatus LiveStatusBoard::snapshot() const {
  const std::int64_t now_ns = clock_.mono_ns();
  std::lock_guard lock(mutex_);
  LiveStatus s = status_;
  apply_planned_progress_locked(s, now_ns);
  s.faults = engine_faults_ + other_faults_;
  s.elapsed_s = static_cast<double>(now_ns - run_start_ns_) * 1e-9;
  s.t_mono_ns = now_ns;
  s.t_utc_ns = clock_.utc_ns_at(now_ns);
  if (control_) {
    s.control_state = std::string(to_string(control_->state()));
    s.pause_note = control_->pause_note();
    s.paused_s = control_->paused_s();
  }
  return s;
}

}  // namespace glasslab::acquisition::control
