#include "acquisition/resume/resume_plan.hpp"

#include <cmath>

#include <fmt/format.h>

#include "core/error.hpp"

namespace glasslab::acquisition::resume {

namespace {

template <class... Ts>
struct overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
overloaded(Ts...) -> overloaded<Ts...>;

bool is_ramp(const schedules::Step& step) {
  return std::holds_alternative<schedules::RampStep>(step.body) ||
         std::holds_alternative<schedules::DmaRampStep>(step.body);
}

std::string what_step_does(const schedules::Step& step) {
  return std::visit(
      overloaded{
          [](const schedules::HoldStep& h) { return fmt::format("hold {:.2f} K for {:g} s", h.temperature_K, h.duration_s); },
          [](const schedules::RampStep& r) { return fmt::format("ramp to {:.2f} K at {:g} K/min", r.to_K, r.rate_K_per_min); },
          [](const schedules::DmaRampStep& r) {
            return fmt::format("DMA ramp {:.2f} -> {:.2f} K at {:g} K/min", r.from_K, r.to_K, r.rate_K_per_min);
          },
          [](const schedules::DmaIsothermalStep& i) {
            return fmt::format("DMA isothermal sweeps at {} temperature(s)", i.temperatures_K.size());
          },
      },
      step.body);
}

/// The last checkpoint whose start the run reached, if any.
std::optional<int> reached_checkpoint(const schedules::Schedule& schedule, const CheckpointState& state) {
  if (state.last_step < 0) return 0;  // nothing started: the start of the run is safe
  std::optional<int> reached = state.checkpoint_step;
  const auto next = static_cast<std::size_t>(state.last_step) + 1;
  if (state.last_step_finished && next < schedule.steps.size() && schedule.steps[next].checkpoint)
    reached = static_cast<int>(next);  // died between two steps, right at a checkpoint
  return reached;
}

std::string step_list(const schedules::Schedule& schedule, const std::vector<int>& steps) {
  std::string out;
  for (int s : steps) out += (out.empty() ? "" : "; ") + describe_step(schedule, s);
  return out;
}

}  // namespace

std::string describe_step(const schedules::Schedule& schedule, int step_index) {
  const auto& step = schedule.steps.at(static_cast<std::size_t>(step_index));
  return fmt::format("step {}/{} {}{}", step_index + 1, schedule.steps.size(), what_step_does(step),
                     step.label.empty() ? "" : fmt::format(" (\"{}\")", step.label));
}

ResumePlan plan_resume(const schedules::Schedule& schedule, const StoredRun& run, bool force) {
  if (run.exit_status == "success")
    throw UsageError(fmt::format("run {} completed successfully: there is nothing to resume", run.id));
  if (run.exit_status == "running")
    throw UsageError(fmt::format("run {} is still running (its process is alive): stop it first", run.id));
  ResumePlan plan;
  if (run.checkpoint_json) plan.state = CheckpointState::from_json(*run.checkpoint_json);
  const auto& state = plan.state;
  const int n = static_cast<int>(schedule.steps.size());
  if (state.last_step_finished && state.last_step == n - 1)
    throw UsageError(fmt::format("run {} ({}): every step of its schedule ended; there is nothing left to resume",
                                 run.id, run.exit_status));
  const std::string where = state.last_step < 0
                                ? "before its first step started"
                                : fmt::format("{} {}", state.last_step_finished ? "after" : "inside",
                                              describe_step(schedule, state.last_step));
  const auto reached = reached_checkpoint(schedule, state);
  if (!reached)
    throw UsageError(fmt::format("run {} ({}) stopped {} and reached no checkpoint: there is no safe place to "
                                 "continue from (steps marked `checkpoint = true`); start a new run",
                                 run.id, run.exit_status, where));
  plan.start_step = *reached;
  for (int s = plan.start_step; s <= state.last_step; ++s) {
    plan.repeated_steps.push_back(s);
    if (is_ramp(schedule.steps[static_cast<std::size_t>(s)])) plan.repeated_ramps.push_back(s);
  }
  const std::string restart = fmt::format("resuming restarts at {}{}", describe_step(schedule, plan.start_step),
                                          schedule.steps[plan.start_step].checkpoint ? " [checkpoint]" : "");
  if (!plan.repeated_ramps.empty()) {
    const std::string why = fmt::format(
        "run {} ({}) stopped {}; {} and would run a ramp again that the sample has already been through (part "
        "of): {}. A ramp is not resumed: the sample has aged along it",
        run.id, run.exit_status, where, restart, step_list(schedule, plan.repeated_ramps));
    if (!force) throw UsageError(why + ". Use --force to resume anyway, or start a new run");
    plan.forced = true;
    plan.forced_warning = "--force: " + why;
  }
  plan.summary = fmt::format("run {} ({}) stopped {}; {}; {}", run.id, run.exit_status, where, restart,
                             plan.repeated_steps.empty()
                                 ? "no step that had started runs again"
                                 : "steps that run again: " + step_list(schedule, plan.repeated_steps));
  return plan;
}

std::int64_t resumed_clock_origin_ns(double speed, std::int64_t steady_now_ns, std::int64_t last_mono_ns) {
  // ScaledSteadyClock(speed, origin): mono(now) = origin + (now - origin) * speed. With origin = now,
  // mono(now) = now, which is enough when the run's last record is older.
  const std::int64_t wanted_ns = last_mono_ns + 1'000'000;  // 1 ms after the last record
  if (steady_now_ns >= wanted_ns || std::abs(speed - 1.0) < 1e-12) return steady_now_ns;
  // Solve origin + (now - origin) * speed = wanted for origin.
  const double origin = (static_cast<double>(steady_now_ns) * speed - static_cast<double>(wanted_ns)) / (speed - 1.0);
  return static_cast<std::int64_t>(std::llround(origin));
}

}  // namespace glasslab::acquisition::resume
