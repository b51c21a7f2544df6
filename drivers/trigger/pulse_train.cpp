#include "drivers/trigger/pulse_train.hpp"

namespace glasslab::trigger {

std::int64_t pulse_deadline_mono_ns(const TrainSpec& spec, int index) {
  return spec.start_mono_ns + static_cast<std::int64_t>(index) * spec.period_ns;
}

void run_pulse_train(TriggerBox& box, const Clock& clock, const TrainSpec& spec, std::vector<TrainPulse>& out,
                     const std::atomic<bool>* stop) {
  for (int i = 0; i < spec.count; ++i) {
    if (stop && stop->load()) return;
    const std::int64_t deadline = pulse_deadline_mono_ns(spec, i);
    clock.sleep_until_mono_ns(deadline);
    TrainPulse pulse;
    pulse.index = i;
    pulse.scheduled_mono_ns = deadline;
    pulse.report = box.pulse(spec.width);
    out.push_back(pulse);
  }
}

}  // namespace glasslab::trigger
