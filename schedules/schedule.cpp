#include "schedules/schedule.hpp"

#include <algorithm>
#include <type_traits>

#include <fmt/format.h>

#include "core/error.hpp"

namespace glasslab::schedules {

std::string Step::kind() const {
  return std::visit(
      [](const auto& body) -> std::string {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, HoldStep>) return "hold";
        else if constexpr (std::is_same_v<T, RampStep>) return "ramp";
        else if constexpr (std::is_same_v<T, DmaRampStep>) return "dma_ramp";
        else return "dma_isothermal";
      },
      body);
}

bool Step::uses_stage() const {
  return std::holds_alternative<HoldStep>(body) || std::holds_alternative<RampStep>(body);
}

bool Step::uses_rheometer() const { return !uses_stage(); }

bool is_known_sample_state(std::string_view state) {
  return std::find(std::begin(kSampleStates), std::end(kSampleStates), state) != std::end(kSampleStates);
}

std::string_view to_string(DmaMode mode) { return mode == DmaMode::torsion ? "torsion" : "bending"; }

std::string_view to_string(StageConfig::SafeState state) {
  return state == StageConfig::SafeState::hold ? "hold" : "stop";
}

void apply_sample(Schedule& schedule, const Sample& sample) {
  schedule.sample = sample;
  // Diagnostics about the sample would now point into the schedule file at the old values.
  std::erase_if(schedule.locations, [](const auto& entry) { return entry.first.rfind("sample", 0) == 0; });
}

void override_sample_state(Schedule& schedule, std::string_view state) {
  if (!is_known_sample_state(state))
    throw ScheduleError(fmt::format("sample state override: unknown state \"{}\"; the paper's Table 2 states are {}",
                                    state, fmt::join(kSampleStates, ", ")));
  schedule.sample.state = std::string(state);
  schedule.locations.erase("sample.state");
}

}  // namespace glasslab::schedules
