#include "acquisition/dma/queue_runner.hpp"

#include <fmt/format.h>

namespace glasslab::acquisition::dma {

std::string QueueSummary::text() const {
  std::string out = fmt::format("DMA queue: {} sweeps, {} completed, {} failed, {} aborted; {} points in {:.0f} s{}\n",
                                sweeps.size(), completed, failed, aborted, total_points, duration_s,
                                data_location.empty() ? "" : "; data: " + data_location);
  for (std::size_t i = 0; i < sweeps.size(); ++i) {
    const auto& s = sweeps[i];
    out += fmt::format("  {:2}. {:9} {:6} points  {}", i + 1, to_string(s.status), s.points, s.name);
    if (!s.reason.empty()) out += fmt::format("  [{}: {}]", s.failure_kind.empty() ? "reason" : s.failure_kind, s.reason);
    out += '\n';
  }
  return out;
}

std::string service_sample_state(const std::string& schedule_state) {
  if (schedule_state.empty()) return {};
  if (schedule_state == "as_cast") return "AS_CAST";
  if (schedule_state.rfind("hpt", 0) == 0) return "HPT";
  return {};
}

DmaQueueRunner::DmaQueueRunner(rheometer::RheometerClient& client, const Clock& clock, Recorder& recorder,
                               SweepOptions options)
    : client_(client), clock_(clock), recorder_(recorder), sweep_runner_(client, clock, recorder, options) {}

void DmaQueueRunner::event(EventLevel level, const std::string& kind, const std::string& message) {
  record_event(recorder_, clock_, level, "rheometer", kind, message);
}

void DmaQueueRunner::load_sample_if_changed(const SweepSpec& spec, const SweepSpec* previous) {
  // The same (label, state) as the sweep before means the same bar: keep its thermal history
  // (a β-suppression pair depends on it). A new one is a fresh sample.
  if (previous && previous->sample_label == spec.sample_label && previous->sample_state == spec.sample_state) return;
  const std::string state = service_sample_state(spec.sample_state);
  if (state.empty()) return;
  try {
    client_.load_sample(state);
    event(EventLevel::info, "sample_loaded",
          fmt::format("{}: sample '{}' ({}) loaded", spec.name, spec.sample_label, spec.sample_state));
  } catch (const rheometer::RheometerError& e) {
    // A bridge to the real instrument has no SAMPLE command: the operator loaded the bars.
    event(EventLevel::warning, "sample_not_loaded", fmt::format("{}: {}", spec.name, e.what()));
  } catch (const Error& e) {
    event(EventLevel::warning, "sample_not_loaded", fmt::format("{}: {}", spec.name, e.what()));
  }
}

QueueSummary DmaQueueRunner::run(const std::vector<SweepSpec>& sweeps, const std::function<bool()>& abort_requested,
                                 const std::string& data_location) {
  QueueSummary summary;
  summary.data_location = data_location;
  const std::int64_t begin_ns = clock_.mono_ns();
  event(EventLevel::info, "queue_start", fmt::format("DMA queue of {} sweeps on {}", sweeps.size(), client_.description()));
  for (std::size_t i = 0; i < sweeps.size(); ++i) {
    if (abort_requested && abort_requested()) break;
    if (before_sweep_) before_sweep_(i);
    if (abort_requested && abort_requested()) break;
    load_sample_if_changed(sweeps[i], i > 0 ? &sweeps[i - 1] : nullptr);
    if (on_step_) on_step_(sweeps[i].step_index, false);
    SweepOutcome outcome = sweep_runner_.run(sweeps[i], abort_requested);
    if (on_step_ && outcome.status != SweepStatus::aborted) on_step_(sweeps[i].step_index, true);
    summary.total_points += outcome.points;
    switch (outcome.status) {
      case SweepStatus::completed: ++summary.completed; break;
      case SweepStatus::failed: ++summary.failed; break;
      case SweepStatus::aborted: ++summary.aborted; break;
    }
    const bool stop = outcome.status == SweepStatus::aborted;
    summary.sweeps.push_back(std::move(outcome));
    if (stop) break;  // an operator abort ends the queue; a failure only ends its sweep
  }
  summary.duration_s = (clock_.mono_ns() - begin_ns) * 1e-9;
  event(summary.all_completed() ? EventLevel::info : EventLevel::warning, "queue_summary", summary.text());
  return summary;
}

}  // namespace glasslab::acquisition::dma
