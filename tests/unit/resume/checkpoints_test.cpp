// The checkpoint state a run stores for `glasslab resume`: JSON both ways, and how step
// boundaries move it.
#include <doctest/doctest.h>

#include <vector>

#include "acquisition/resume/checkpoints.hpp"
#include "core/error.hpp"

using namespace glasslab;
using namespace glasslab::acquisition::resume;

namespace {

schedules::Schedule three_steps(bool cp0, bool cp1, bool cp2) {
  schedules::Schedule s;
  for (bool cp : {cp0, cp1, cp2}) {
    schedules::Step step;
    step.body = schedules::HoldStep{300, 60, std::nullopt};
    step.checkpoint = cp;
    s.steps.push_back(step);
  }
  return s;
}

}  // namespace

TEST_CASE("the checkpoint state reads back what it wrote, and refuses foreign JSON naming it") {
  CheckpointState state;
  state.checkpoint_step = 2;
  state.last_step = 3;
  state.last_step_finished = true;
  state.resumes = 1;
  CHECK(CheckpointState::from_json(state.to_json()) == state);
  CHECK(CheckpointState::from_json(CheckpointState{}.to_json()) == CheckpointState{});
  CHECK(CheckpointState{}.to_json().find("\"checkpoint_step\":null") != std::string::npos);
  CHECK_THROWS_WITH_AS(CheckpointState::from_json(R"({"step":2})"), doctest::Contains("{\"step\":2}"), StoreError);
  CHECK_THROWS_AS(CheckpointState::from_json("not json"), StoreError);
}

TEST_CASE("the tracker saves at every boundary: started steps, the last checkpoint, and finished") {
  std::vector<std::string> saved;
  CheckpointTracker tracker(three_steps(true, false, true), {}, [&](const std::string& json) { saved.push_back(json); });
  tracker.save_now();
  tracker.step_started(0);
  CHECK(tracker.state().checkpoint_step == 0);
  tracker.step_finished(0);
  tracker.step_started(1);
  CHECK(tracker.state().checkpoint_step == 0);  // step 2 is no checkpoint
  CHECK(tracker.state().last_step == 1);
  CHECK_FALSE(tracker.state().last_step_finished);
  tracker.step_finished(0);  // not the step in progress: ignored
  CHECK_FALSE(tracker.state().last_step_finished);
  tracker.step_finished(1);
  tracker.step_started(2);
  CHECK(tracker.state().checkpoint_step == 2);
  CHECK(saved.size() == 6);
  CHECK(CheckpointState::from_json(saved.back()) == tracker.state());
}
