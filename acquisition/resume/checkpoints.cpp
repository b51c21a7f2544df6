#include "acquisition/resume/checkpoints.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace glasslab::acquisition::resume {

namespace {
constexpr const char* kFormat = "glasslab-checkpoint-1";
}

std::string CheckpointState::to_json() const {
  nlohmann::json j{{"format", kFormat},
                   {"checkpoint_step", nullptr},
                   {"last_step", last_step},
                   {"last_step_finished", last_step_finished},
                   {"resumes", resumes}};
  if (checkpoint_step) j["checkpoint_step"] = *checkpoint_step;
  return j.dump();
}

CheckpointState CheckpointState::from_json(const std::string& json) {
  try {
    const auto j = nlohmann::json::parse(json);
    if (!j.is_object() || j.value("format", "") != kFormat)
      throw StoreError(fmt::format("checkpoint_json is not a {} record: {}", kFormat, json));
    CheckpointState state;
    if (!j.at("checkpoint_step").is_null()) state.checkpoint_step = j.at("checkpoint_step").get<int>();
    state.last_step = j.at("last_step").get<int>();
    state.last_step_finished = j.at("last_step_finished").get<bool>();
    state.resumes = j.at("resumes").get<int>();
    return state;
  } catch (const nlohmann::json::exception& e) {
    throw StoreError(fmt::format("checkpoint_json cannot be read ({}): {}", e.what(), json));
  }
}

CheckpointTracker::CheckpointTracker(const schedules::Schedule& schedule, CheckpointState initial,
                                     std::function<void(const std::string&)> save)
    : state_(std::move(initial)), save_(std::move(save)) {
  for (const auto& step : schedule.steps) checkpoint_.push_back(step.checkpoint);
}

void CheckpointTracker::save_now() {
  if (save_) save_(state_.to_json());
}

void CheckpointTracker::step_started(int step_index) {
  state_.last_step = step_index;
  state_.last_step_finished = false;
  if (step_index >= 0 && static_cast<std::size_t>(step_index) < checkpoint_.size() && checkpoint_[step_index])
    state_.checkpoint_step = step_index;
  save_now();
}

void CheckpointTracker::step_finished(int step_index) {
  if (step_index != state_.last_step) return;  // not the step in progress: nothing changes
  state_.last_step_finished = true;
  save_now();
}

}  // namespace glasslab::acquisition::resume
