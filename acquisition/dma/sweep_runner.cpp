#include "acquisition/dma/sweep_runner.hpp"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "schedules/plan.hpp"

namespace glasslab::acquisition::dma {

namespace {

rheometer::Mode to_mode(schedules::DmaMode mode) {
  return mode == schedules::DmaMode::torsion ? rheometer::Mode::torsion : rheometer::Mode::bending;
}

std::string frequency_range(const std::vector<double>& f) {
  if (f.empty()) return "no frequencies";
  const auto [lo, hi] = std::minmax_element(f.begin(), f.end());
  return fmt::format("{}-{} Hz", *lo, *hi);
}

// Thrown inside the poll loop to end the sweep with a reason.
struct SweepFailure {
  std::string kind;
  std::string reason;
};

}  // namespace

std::string_view to_string(SweepStatus status) {
  switch (status) {
    case SweepStatus::completed: return "completed";
    case SweepStatus::failed: return "failed";
    case SweepStatus::aborted: return "aborted";
  }
  return "?";
}

rheometer::Geometry default_geometry(schedules::DmaMode mode) {
  if (mode == schedules::DmaMode::torsion) return {rheometer::Geometry::Shape::rectangular, 20, 4, 1};
  return {rheometer::Geometry::Shape::three_point_bending, 15, 4, 1};
}

/// What ramp and isothermal DMA steps configure alike: mode, geometry, strain, force, frequencies, cycles.
template <class DmaStep>
SweepSpec common_sweep_fields(const DmaStep& step) {
  SweepSpec spec;
  auto& c = spec.configuration;
  c.mode = to_mode(step.mode);
  c.geometry = default_geometry(step.mode);
  c.strain_pct = step.strain_pct;
  c.static_force_N = step.axial_force_N.value_or(0.5);
  c.frequencies_Hz = step.frequencies_Hz;
  c.delay_cycles = step.delay_cycles;
  c.acquisition_cycles = step.acquisition_cycles;
  return spec;
}

SweepSpec sweep_from_step(const schedules::DmaRampStep& step, int step_index, std::string name) {
  SweepSpec spec = common_sweep_fields(step);
  spec.configuration.temperature = rheometer::TemperatureRamp{step.from_K, step.to_K, step.rate_K_per_min};
  spec.step_index = step_index;
  spec.sample_label = step.sample_label;
  spec.sample_state = step.sample_state;
  spec.name = !name.empty() ? std::move(name)
                            : fmt::format("step {} dma_ramp {} {:.2f}->{:.2f} K {}", step_index + 1,
                                          schedules::to_string(step.mode), step.from_K, step.to_K,
                                          frequency_range(step.frequencies_Hz));
  return spec;
}

SweepSpec sweep_from_step(const schedules::DmaIsothermalStep& step, int step_index, std::string name) {
  SweepSpec spec = common_sweep_fields(step);
  spec.configuration.temperature = rheometer::TemperatureSteps{step.temperatures_K, step.soak_s};
  spec.step_index = step_index;
  spec.sample_label = step.sample_label;
  spec.sample_state = step.sample_state;
  spec.name = !name.empty() ? std::move(name)
                            : fmt::format("step {} dma_isothermal {} {} temperatures {}", step_index + 1,
                                          schedules::to_string(step.mode), step.temperatures_K.size(),
                                          frequency_range(step.frequencies_Hz));
  return spec;
}

std::vector<SweepSpec> sweeps_from_schedule(const schedules::Schedule& schedule) {
  const double approach_rate_K_per_min =
      schedule.instruments.rheometer.value_or(schedules::RheometerConfig{}).approach_rate_K_per_min;
  std::vector<SweepSpec> sweeps;
  for (std::size_t i = 0; i < schedule.steps.size(); ++i) {
    const auto& step = schedule.steps[i];
    const int index = static_cast<int>(i);
    std::optional<SweepSpec> spec;
    if (const auto* ramp = std::get_if<schedules::DmaRampStep>(&step.body)) spec = sweep_from_step(*ramp, index);
    else if (const auto* iso = std::get_if<schedules::DmaIsothermalStep>(&step.body)) spec = sweep_from_step(*iso, index);
    if (!spec) continue;
    spec->configuration.approach_rate_K_per_min = approach_rate_K_per_min;
    if (!step.label.empty()) spec->name = fmt::format("step {} {}", index + 1, step.label);
    if (spec->sample_label.empty()) spec->sample_label = schedule.sample.name;
    if (spec->sample_state.empty()) spec->sample_state = schedule.sample.state;
    sweeps.push_back(std::move(*spec));
  }
  return sweeps;
}

double expected_duration_s(const rheometer::SweepConfiguration& c, double oven_K) {
  const double sweep_s = schedules::sweep_duration_s(c.frequencies_Hz, c.delay_cycles, c.acquisition_cycles);
  if (const auto* ramp = std::get_if<rheometer::TemperatureRamp>(&c.temperature))
    return schedules::travel_time_s(ramp->from_K - oven_K, c.approach_rate_K_per_min) +
           schedules::travel_time_s(ramp->to_K - ramp->from_K, ramp->rate_K_per_min) + sweep_s;
  const auto& steps = std::get<rheometer::TemperatureSteps>(c.temperature);
  double total = 0;
  for (double T_K : steps.temperatures_K) {
    total += schedules::travel_time_s(T_K - oven_K, c.approach_rate_K_per_min) + steps.soak_s + sweep_s;
    oven_K = T_K;
  }
  return total;
}

DmaSweepRunner::DmaSweepRunner(rheometer::RheometerClient& client, const Clock& clock, Recorder& recorder,
                               SweepOptions options)
    : client_(client), clock_(clock), recorder_(recorder), options_(options) {}

void DmaSweepRunner::event(EventLevel level, const std::string& kind, const std::string& message) {
  record_event(recorder_, clock_, level, "rheometer", kind, message);
}

void DmaSweepRunner::record_points(const SweepSpec& spec, const std::vector<rheometer::DataPoint>& points,
                                   std::int64_t start_mono_ns, SweepOutcome& outcome) {
  const std::int64_t received_mono_ns = clock_.mono_ns();
  for (const auto& p : points) {
    DmaPoint d;
    // The point's own time (end of its acquisition window), never later than its arrival.
    d.t_mono_ns = std::min(start_mono_ns + static_cast<std::int64_t>(p.time_s * 1e9), received_mono_ns);
    d.t_utc_ns = clock_.utc_ns_at(d.t_mono_ns);
    d.instrument_index = p.index;
    d.sweep = spec.name;
    d.T_K = p.T_K;
    d.frequency_Hz = p.frequency_Hz;
    d.storage_modulus_Pa = p.storage_Pa;
    d.loss_modulus_Pa = p.loss_Pa;
    d.tan_delta = p.tan_delta;
    d.strain_pct = p.strain_pct;
    d.force_N = p.force_N;
    d.torque_Nm = p.torque_Nm;
    d.mode = std::string(rheometer::to_string(p.mode));
    d.step_index = spec.step_index;
    recorder_.record(d);
  }
  outcome.points += static_cast<std::int64_t>(points.size());
}

bool DmaSweepRunner::sample_collapsed(const std::vector<rheometer::DataPoint>& points) {
  for (const auto& p : points) {
    if (p.storage_Pa < options_.collapse_fraction * highest_storage_Pa_) {
      if (++collapsed_in_a_row_ >= options_.collapse_points) return true;
    } else {
      collapsed_in_a_row_ = 0;
    }
    highest_storage_Pa_ = std::max(highest_storage_Pa_, p.storage_Pa);
  }
  return false;
}

/// Records the sweep's start with the time it should take from where the oven is now (STATUS?:
/// where the last sweep left it, so the approach starts there). Returns that time.
double DmaSweepRunner::announce(const SweepSpec& spec) {
  const double oven_K = client_.status().T_K;
  const double expected_s = expected_duration_s(spec.configuration, oven_K);
  event(EventLevel::info, "sweep_start",
        fmt::format("{}: expected {:.0f} s of experiment time (oven at {:.2f} K, approach at {} K/min)", spec.name,
                    expected_s, oven_K, spec.configuration.approach_rate_K_per_min));
  return expected_s;
}

void DmaSweepRunner::poll_until_finished(const SweepSpec& spec, double expected_s, SweepOutcome& outcome,
                                         const std::function<bool()>& abort_requested) {
  const std::int64_t start_mono_ns = clock_.mono_ns();
  const std::int64_t deadline_ns =
      start_mono_ns + static_cast<std::int64_t>((expected_s * options_.timeout_factor + options_.timeout_margin_s) * 1e9);
  const auto poll_ns = static_cast<std::int64_t>(options_.poll_interval_s * 1e9);
  std::int64_t next_poll_ns = start_mono_ns + poll_ns;
  int reconnects_seen = client_.reconnect_count();
  while (true) {
    clock_.sleep_until_mono_ns(next_poll_ns);  // steady cadence: the next tick, not "now + interval"
    next_poll_ns += poll_ns;
    const auto points = client_.fetch_new_points();
    record_points(spec, points, start_mono_ns, outcome);
    if (client_.reconnect_count() != reconnects_seen) {
      event(EventLevel::warning, "comms_fault",
            fmt::format("rheometer {}: connection re-established ({} reconnects so far); data resumed after index {}",
                        client_.description(), client_.reconnect_count(), client_.last_delivered_index()));
      reconnects_seen = client_.reconnect_count();
    }
    if (sample_collapsed(points))
      throw SweepFailure{"sample_lost", fmt::format("rheometer {}: sample lost: storage modulus {:.3g} Pa at {:.2f} K "
                                                    "is below {} of the sweep's {:.3g} Pa",
                                                    client_.description(), points.back().storage_Pa, points.back().T_K,
                                                    options_.collapse_fraction, highest_storage_Pa_)};
    const auto status = client_.status();
    // Points measured between the last fetch and a fault or stop are on the instrument: take
    // them before giving up on the sweep, so a failure never loses what was measured.
    if (status.faulted() || !status.running()) record_points(spec, client_.fetch_new_points(), start_mono_ns, outcome);
    if (status.faulted()) {
      std::string errors;
      while (auto e = client_.next_error()) errors += fmt::format("{}{} \"{}\"", errors.empty() ? "" : "; ", e->code, e->message);
      throw SweepFailure{"instrument_error", fmt::format("rheometer {}: instrument fault at {:.2f} K after point {}: {}",
                                                         client_.description(), status.T_K, status.last_index,
                                                         errors.empty() ? "no error queued" : errors)};
    }
    if (status.done()) return;
    if (!status.running())
      throw SweepFailure{"instrument_error", fmt::format("rheometer {}: run stopped by the instrument (state {})",
                                                         client_.description(), status.state)};
    if (abort_requested && abort_requested()) {
      outcome.status = SweepStatus::aborted;
      outcome.reason = "operator abort";
      return;
    }
    if (clock_.mono_ns() > deadline_ns)
      throw SweepFailure{"timeout", fmt::format("rheometer {}: sweep still running after {:.0f} s (expected {:.0f} s)",
                                                client_.description(), (clock_.mono_ns() - start_mono_ns) * 1e-9,
                                                expected_s)};
  }
}

SweepOutcome DmaSweepRunner::run(const SweepSpec& spec, const std::function<bool()>& abort_requested) {
  SweepOutcome outcome;
  outcome.name = spec.name;
  outcome.step_index = spec.step_index;
  highest_storage_Pa_ = 0;
  collapsed_in_a_row_ = 0;
  const int reconnects_before = client_.reconnect_count();
  const std::int64_t begin_ns = clock_.mono_ns();
  bool announced = false;
  try {
    const double expected_s = announce(spec);
    announced = true;
    client_.configure(spec.configuration);
    client_.start();
    poll_until_finished(spec, expected_s, outcome, abort_requested);
  } catch (const SweepFailure& failure) {
    outcome.status = SweepStatus::failed;
    outcome.failure_kind = failure.kind;
    outcome.reason = failure.reason;
  } catch (const rheometer::RheometerConnectionLost& e) {
    outcome.status = SweepStatus::failed;
    outcome.failure_kind = "connection_lost";
    outcome.reason = e.what();
  } catch (const rheometer::RheometerError& e) {
    outcome.status = SweepStatus::failed;
    outcome.failure_kind = "refused";
    outcome.reason = e.what();
  } catch (const Error& e) {  // protocol errors, other device errors
    outcome.status = SweepStatus::failed;
    outcome.failure_kind = e.category() == ErrorCategory::protocol ? "protocol" : "device";
    outcome.reason = e.what();
  }
  // Every sweep has its start event, also one whose instrument never answered (the fit of the
  // sweep pairs the start with the end).
  if (!announced) event(EventLevel::info, "sweep_start", fmt::format("{}: expected ? s of experiment time (no "
                                                                     "answer from the rheometer)", spec.name));
  leave_safe(spec);
  outcome.duration_s = (clock_.mono_ns() - begin_ns) * 1e-9;
  outcome.reconnects = client_.reconnect_count() - reconnects_before;
  if (outcome.status == SweepStatus::completed)
    event(EventLevel::info, "sweep_end", fmt::format("{}: completed, {} points", spec.name, outcome.points));
  else
    event(outcome.status == SweepStatus::aborted ? EventLevel::warning : EventLevel::error,
          outcome.status == SweepStatus::aborted ? "sweep_aborted" : "sweep_failed",
          fmt::format("{}: {} ({}) after {} points: {}", spec.name, to_string(outcome.status), outcome.failure_kind,
                      outcome.points, outcome.reason));
  return outcome;
}

void DmaSweepRunner::leave_safe(const SweepSpec& spec) noexcept {
  try {
    client_.abort();  // ABORT is always accepted, also after DONE: the oven and drive stop
  } catch (const std::exception& e) {
    try {
      event(EventLevel::error, "safe_state_failed",
            fmt::format("{}: could not ABORT the rheometer {}: {}", spec.name, client_.description(), e.what()));
    } catch (...) {
    }
  }
}

}  // namespace glasslab::acquisition::dma
