#include "schedules/plan.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace glasslab::schedules {
namespace {

std::string num(double value) { return fmt::format("{:.6g}", value); }

/// A count from a floored double, clamped to 0..INT_MAX: a schedule may hold for 1e300 s, and
/// casting that to int is undefined behaviour (found by fuzz/schedule_fuzzer.cpp).
int clamped_count(double count) {
  if (!(count > 0)) return 0;
  return count >= static_cast<double>(std::numeric_limits<int>::max()) ? std::numeric_limits<int>::max()
                                                                       : static_cast<int>(count);
}

int saturating_add(int a, int b) {
  return a > std::numeric_limits<int>::max() - b ? std::numeric_limits<int>::max() : a + b;
}

/// Seconds beyond this print in scientific form: whole hours would not fit a long.
constexpr double kLongestClockTime_s = 1e12;

/// "5 min", "30 s", "1 h 30 min": durations in descriptions read as a person would write them.
std::string human_duration(double seconds) {
  if (!(seconds < kLongestClockTime_s)) return fmt::format("{} s", num(seconds));
  if (seconds >= 3600 && std::fmod(seconds, 60) == 0) {
    const long minutes = std::lround(seconds / 60);
    return minutes % 60 ? fmt::format("{} h {} min", minutes / 60, minutes % 60) : fmt::format("{} h", minutes / 60);
  }
  if (seconds >= 60 && std::fmod(seconds, 60) == 0) return fmt::format("{} min", std::lround(seconds / 60));
  return fmt::format("{} s", num(seconds));
}

std::string frequency_list(const std::vector<double>& frequencies_Hz) {
  std::vector<std::string> parts;
  for (double f : frequencies_Hz) parts.push_back(num(f));
  return fmt::format("{} Hz", fmt::join(parts, ", "));
}

std::string sample_suffix(const std::string& label, const std::string& state) {
  if (label.empty() && state.empty()) return {};
  if (state.empty()) return fmt::format(", sample {}", label);
  return fmt::format(", sample {} ({})", label.empty() ? "-" : label, state);
}

/// DMA points measured during a continuous ramp of duration_s, frequencies taken in turn; a point
/// counts when its settling and (delay + acquisition) cycles complete before the ramp ends.
int points_during_ramp(const DmaRampStep& ramp, double duration_s) {
  const double sweep_s = sweep_duration_s(ramp.frequencies_Hz, ramp.delay_cycles, ramp.acquisition_cycles);
  if (!(sweep_s > 0)) return 0;
  const double whole_sweeps = std::floor(duration_s / sweep_s + 1e-9);
  int points = clamped_count(whole_sweeps * static_cast<double>(ramp.frequencies_Hz.size()));
  double remaining_s = duration_s - whole_sweeps * sweep_s;
  for (double f : ramp.frequencies_Hz) {
    remaining_s -= kRheometerSettlePerPoint_s + (ramp.delay_cycles + ramp.acquisition_cycles) / f;
    if (remaining_s < -1e-9) break;
    points = saturating_add(points, 1);
  }
  return points;
}

class Planner {
public:
  Planner(const Schedule& schedule, double stage_K, double oven_K, std::size_t first_step)
      : s_(schedule), initial_stage_K_(stage_K), initial_oven_K_(oven_K), first_step_(first_step) {}

  Plan run() {
    Plan plan;
    plan.title = s_.title;
    plan.sample = s_.sample.state.empty() ? s_.sample.name : fmt::format("{} ({})", s_.sample.name, s_.sample.state);
    double clock_s = 0;
    for (std::size_t i = 0; i < s_.steps.size(); ++i) {
      if (i == first_step_) {  // where the measured temperatures apply (step 0, or a resume's first)
        stage_K_ = initial_stage_K_;
        oven_K_ = initial_oven_K_;
      }
      PlanStep step = plan_step(s_.steps[i]);
      step.index = i;
      step.start_s = clock_s;
      clock_s += step.duration_s;
      plan.total_frames = saturating_add(plan.total_frames, step.expected_frames.value_or(0));
      plan.total_dma_points = saturating_add(plan.total_dma_points, step.expected_dma_points.value_or(0));
      plan.steps.push_back(std::move(step));
    }
    plan.total_s = clock_s;
    return plan;
  }

private:
  double stage_approach_rate(const HoldStep& hold) const {
    if (hold.approach_rate_K_per_min) return *hold.approach_rate_K_per_min;
    return s_.instruments.stage ? s_.instruments.stage->approach_rate_K_per_min : StageConfig{}.approach_rate_K_per_min;
  }
  double oven_approach_rate() const {
    return s_.instruments.rheometer ? s_.instruments.rheometer->approach_rate_K_per_min
                                    : RheometerConfig{}.approach_rate_K_per_min;
  }

  PlanStep plan_step(const Step& step) {
    PlanStep out;
    out.kind = step.kind();
    out.label = step.label;
    out.checkpoint = step.checkpoint;
    if (auto hold = std::get_if<HoldStep>(&step.body)) plan_hold(*hold, step, out);
    if (auto ramp = std::get_if<RampStep>(&step.body)) plan_ramp(*ramp, step, out);
    if (auto dma = std::get_if<DmaRampStep>(&step.body)) plan_dma_ramp(*dma, out);
    if (auto iso = std::get_if<DmaIsothermalStep>(&step.body)) plan_dma_isothermal(*iso, out);
    if (step.checkpoint) out.description += " [checkpoint]";
    return out;
  }

  void plan_hold(const HoldStep& hold, const Step& step, PlanStep& out) {
    out.start_K = stage_K_;
    out.end_K = hold.temperature_K;
    const double rate = stage_approach_rate(hold);
    out.approach_s = travel_time_s(hold.temperature_K - stage_K_, rate);
    out.duration_s = out.approach_s + hold.duration_s;
    out.description = fmt::format("hold {} K for {}", num(hold.temperature_K), human_duration(hold.duration_s));
    if (out.approach_s > 0)
      out.description += fmt::format(" (approach from {} K at {} K/min)", num(stage_K_), num(rate));
    // Frames are taken during the host-timed hold, after the approach.
    if (step.xrd) add_frames(*step.xrd, hold.duration_s, out);
    stage_K_ = hold.temperature_K;
  }

  void plan_ramp(const RampStep& ramp, const Step& step, PlanStep& out) {
    out.start_K = stage_K_;
    out.end_K = ramp.to_K;
    out.duration_s = travel_time_s(ramp.to_K - stage_K_, ramp.rate_K_per_min);
    out.description = fmt::format("ramp {} K → {} K at {} K/min", num(stage_K_), num(ramp.to_K), num(ramp.rate_K_per_min));
    if (step.xrd) add_frames(*step.xrd, out.duration_s, out);
    stage_K_ = ramp.to_K;
  }

  void add_frames(const XrdAcquisition& xrd, double window_s, PlanStep& out) {
    out.expected_frames = frames_in_window(xrd, window_s);
    out.description += fmt::format(", xrd {} s frames every {} s", num(xrd.exposure_s), num(xrd.period_s));
  }

  void plan_dma_ramp(const DmaRampStep& ramp, PlanStep& out) {
    out.on_rheometer = true;
    out.start_K = ramp.from_K;
    out.end_K = ramp.to_K;
    out.approach_s = travel_time_s(ramp.from_K - oven_K_, oven_approach_rate());
    const double ramp_s = travel_time_s(ramp.to_K - ramp.from_K, ramp.rate_K_per_min);
    out.duration_s = out.approach_s + ramp_s;
    out.expected_dma_points = points_during_ramp(ramp, ramp_s);
    out.description = fmt::format("DMA {} {} K → {} K at {} K/min, {}, {} % strain", to_string(ramp.mode),
                                  num(ramp.from_K), num(ramp.to_K), num(ramp.rate_K_per_min),
                                  frequency_list(ramp.frequencies_Hz), num(ramp.strain_pct));
    out.description += sample_suffix(ramp.sample_label, ramp.sample_state);
    oven_K_ = ramp.to_K;
  }

  void plan_dma_isothermal(const DmaIsothermalStep& iso, PlanStep& out) {
    out.on_rheometer = true;
    out.start_K = iso.temperatures_K.empty() ? oven_K_ : iso.temperatures_K.front();
    out.end_K = iso.temperatures_K.empty() ? oven_K_ : iso.temperatures_K.back();
    const double sweep_s = sweep_duration_s(iso.frequencies_Hz, iso.delay_cycles, iso.acquisition_cycles);
    for (double t : iso.temperatures_K) {
      const double approach_s = travel_time_s(t - oven_K_, oven_approach_rate());
      out.approach_s += approach_s;
      out.duration_s += approach_s + iso.soak_s + sweep_s;
      oven_K_ = t;
    }
    out.expected_dma_points =
        clamped_count(static_cast<double>(iso.temperatures_K.size()) * static_cast<double>(iso.frequencies_Hz.size()));
    out.description = fmt::format("DMA {} at {} temperatures {} K … {} K, sweep {} at each, soak {}",
                                  to_string(iso.mode), iso.temperatures_K.size(), num(out.start_K), num(out.end_K),
                                  frequency_list(iso.frequencies_Hz), human_duration(iso.soak_s));
    out.description += sample_suffix(iso.sample_label, iso.sample_state);
  }

  const Schedule& s_;
  double initial_stage_K_;
  double initial_oven_K_;
  std::size_t first_step_;
  double stage_K_ = kRoomTemperature_K;  // before first_step_: the steps an earlier run took
  double oven_K_ = kRoomTemperature_K;
};

}  // namespace

double sweep_duration_s(const std::vector<double>& frequencies_Hz, int delay_cycles, int acquisition_cycles) {
  double total_s = 0;
  for (double f : frequencies_Hz)
    if (f > 0) total_s += kRheometerSettlePerPoint_s + (delay_cycles + acquisition_cycles) / f;
  return total_s;
}

double travel_time_s(double delta_K, double rate_K_per_min) {
  return rate_K_per_min > 0 ? std::abs(delta_K) / rate_K_per_min * 60 : 0;
}

int frames_in_window(const XrdAcquisition& xrd, double window_s) {
  if (!(xrd.period_s > 0) || !(xrd.exposure_s > 0) || window_s + 1e-9 < xrd.exposure_s) return 0;
  // Frame k (0-based) exposes [k·period, k·period + exposure]; it counts if it ends in the window.
  int frames = clamped_count(std::floor((window_s - xrd.exposure_s) / xrd.period_s + 1e-9) + 1);
  if (xrd.frame_count) frames = std::min(frames, *xrd.frame_count);
  return std::max(frames, 0);
}

Plan make_plan(const Schedule& schedule, double initial_stage_K, double initial_oven_K, std::size_t first_step) {
  return Planner(schedule, initial_stage_K, initial_oven_K, first_step).run();
}

std::string format_hms(double seconds) {
  if (!(seconds < kLongestClockTime_s)) return fmt::format("{:.3g} s", seconds);  // also NaN
  const long total = std::lround(std::max(seconds, 0.0));
  return fmt::format("{}:{:02}:{:02}", total / 3600, (total / 60) % 60, total % 60);
}

std::string format_plan(const Plan& plan) {
  std::string out = fmt::format("{}\nsample: {}\n\n", plan.title, plan.sample);
  out += fmt::format("{:>3}  {:<14} {:>9} {:>9} {:>9} {:>9} {:>8}  {}\n", "#", "kind", "start", "duration",
                     "from K", "to K", "frames", "what");
  for (const PlanStep& step : plan.steps) {
    std::string counts = "-";
    if (step.expected_frames) counts = fmt::format("{}", *step.expected_frames);
    if (step.expected_dma_points) counts = fmt::format("{} pts", *step.expected_dma_points);
    std::string what = step.label.empty() ? step.description : fmt::format("{}: {}", step.label, step.description);
    out += fmt::format("{:>3}  {:<14} {:>9} {:>9} {:>9} {:>9} {:>8}  {}\n", step.index + 1, step.kind,
                       format_hms(step.start_s), format_hms(step.duration_s), num(step.start_K), num(step.end_K),
                       counts, what);
  }
  const std::string total_s = plan.total_s < kLongestClockTime_s ? fmt::format("{:.0f}", plan.total_s) : num(plan.total_s);
  out += fmt::format("\ntotal: {} ({} s) over {} steps", format_hms(plan.total_s), total_s, plan.steps.size());
  if (plan.total_frames > 0) out += fmt::format(", {} xrd frames", plan.total_frames);
  if (plan.total_dma_points > 0) out += fmt::format(", {} DMA points", plan.total_dma_points);
  out += "\n";
  return out;
}

}  // namespace glasslab::schedules
