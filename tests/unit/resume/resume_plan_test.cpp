// Where `glasslab resume` continues, or why not, for stage profiles and DMA queues; and the clock
// origin that keeps a resumed dry run's times after the ones it already has.
#include <doctest/doctest.h>

#include "acquisition/resume/resume_plan.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"

using namespace glasslab;
using namespace glasslab::acquisition::resume;

namespace {

schedules::Step hold(double K, bool checkpoint) {
  schedules::Step s;
  s.body = schedules::HoldStep{K, 300, std::nullopt};
  s.checkpoint = checkpoint;
  return s;
}
schedules::Step ramp(double K) {
  schedules::Step s;
  s.body = schedules::RampStep{K, 10};
  return s;
}
schedules::Step dma_ramp(bool checkpoint, std::string label) {
  schedules::Step s;
  schedules::DmaRampStep r;
  r.from_K = 123.15;
  r.to_K = 873.15;
  r.rate_K_per_min = 6;
  s.body = r;
  s.checkpoint = checkpoint;
  s.label = std::move(label);
  return s;
}
schedules::Step dma_isothermal(bool checkpoint) {
  schedules::Step s;
  schedules::DmaIsothermalStep i;
  i.temperatures_K = {250, 260};
  s.body = i;
  s.checkpoint = checkpoint;
  return s;
}

/// The paper's heating profile: hold 93.15 K [checkpoint], heat to 873.15 K, cool to 303.15 K.
schedules::Schedule heating_profile() {
  schedules::Schedule s;
  s.steps = {hold(93.15, true), ramp(873.15), ramp(303.15)};
  return s;
}

StoredRun stopped_at(int last_step, bool finished, std::optional<int> checkpoint, std::string status = "interrupted") {
  CheckpointState state;
  state.last_step = last_step;
  state.last_step_finished = finished;
  state.checkpoint_step = checkpoint;
  return StoredRun{7, std::move(status), "", state.to_json()};
}

}  // namespace

TEST_CASE("killed during the checkpoint hold: resume restarts the hold, nothing else repeats") {
  const auto plan = plan_resume(heating_profile(), stopped_at(0, false, 0), false);
  CHECK(plan.start_step == 0);
  CHECK(plan.repeated_steps == std::vector<int>{0});
  CHECK(plan.repeated_ramps.empty());
  CHECK_FALSE(plan.forced);
  CHECK(plan.summary.find("inside step 1/3 hold 93.15 K") != std::string::npos);
}

TEST_CASE("killed inside a ramp: refused, naming the run, the step and why, unless forced") {
  const auto run = stopped_at(1, false, 0);
  CHECK_THROWS_WITH_AS(plan_resume(heating_profile(), run, false),
                       doctest::Contains("run 7 (interrupted) stopped inside step 2/3 ramp to 873.15 K at 10 K/min"),
                       UsageError);
  CHECK_THROWS_WITH_AS(plan_resume(heating_profile(), run, false), doctest::Contains("--force"), UsageError);
  CHECK_THROWS_WITH_AS(plan_resume(heating_profile(), run, false), doctest::Contains("the sample has aged"), UsageError);
  const auto forced = plan_resume(heating_profile(), run, true);
  CHECK(forced.forced);
  CHECK(forced.start_step == 0);
  CHECK(forced.repeated_ramps == std::vector<int>{1});
  CHECK(forced.forced_warning.find("--force") == 0);
}

TEST_CASE("a completed ramp between the checkpoint and the stop also needs force: it would run again") {
  // hold [cp], ramp, hold (no cp): killed in the second hold.
  schedules::Schedule s;
  s.steps = {hold(300, true), ramp(400), hold(400, false)};
  CHECK_THROWS_WITH_AS(plan_resume(s, stopped_at(2, false, 0), false), doctest::Contains("step 2/3 ramp"), UsageError);
  // With a checkpoint on the second hold, it resumes there and repeats nothing but that hold.
  s.steps[2].checkpoint = true;
  const auto plan = plan_resume(s, stopped_at(2, false, 2), false);
  CHECK(plan.start_step == 2);
  CHECK(plan.repeated_ramps.empty());
}

TEST_CASE("a DMA queue: inside an isothermal item resumes there, between items resumes at the next") {
  schedules::Schedule s;
  s.steps = {dma_isothermal(true), dma_isothermal(true), dma_ramp(true, "3 bending")};
  const auto inside = plan_resume(s, stopped_at(1, false, 1), false);
  CHECK(inside.start_step == 1);
  // Sweep 2 ended (even failed), sweep 3 had not started: the run stopped at a checkpoint.
  const auto between = plan_resume(s, stopped_at(1, true, 1), false);
  CHECK(between.start_step == 2);
  CHECK(between.repeated_steps.empty());
  // Inside the DMA ramp of item 3: refused unless forced, then item 3 runs again.
  CHECK_THROWS_WITH_AS(plan_resume(s, stopped_at(2, false, 2), false), doctest::Contains("(\"3 bending\")"), UsageError);
  CHECK(plan_resume(s, stopped_at(2, false, 2), true).start_step == 2);
}

TEST_CASE("nothing started yet: resume from the first step; no checkpoint reached: refused even with force") {
  CHECK(plan_resume(heating_profile(), StoredRun{3, "interrupted", "", std::nullopt}, false).start_step == 0);
  CHECK(plan_resume(heating_profile(), stopped_at(-1, false, std::nullopt, "failed"), false).start_step == 0);
  schedules::Schedule s;
  s.steps = {ramp(400), hold(400, false)};
  CHECK_THROWS_WITH_AS(plan_resume(s, stopped_at(1, false, std::nullopt), true),
                       doctest::Contains("reached no checkpoint"), UsageError);
}

TEST_CASE("successful, still running and fully finished runs are not resumed") {
  CHECK_THROWS_WITH_AS(plan_resume(heating_profile(), stopped_at(2, true, 0, "success"), false),
                       doctest::Contains("completed successfully"), UsageError);
  CHECK_THROWS_WITH_AS(plan_resume(heating_profile(), stopped_at(1, false, 0, "running"), true),
                       doctest::Contains("still running"), UsageError);
  CHECK_THROWS_WITH_AS(plan_resume(heating_profile(), stopped_at(2, true, 0, "failed"), true),
                       doctest::Contains("nothing left"), UsageError);
  // An aborted run is resumable like an interrupted one.
  CHECK(plan_resume(heating_profile(), stopped_at(0, false, 0, "aborted"), false).start_step == 0);
}

TEST_CASE("a resumed dry run's clock starts after the run's last record, at any speed") {
  for (double speed : {0.5, 20.0, 1000.0}) {
    const std::int64_t now = ScaledSteadyClock(1.0).steady_origin_ns();  // host steady ns, now
    const std::int64_t last = now + 180'000'000'000;  // a dry run raced 180 s ahead of the host
    const auto origin = resumed_clock_origin_ns(speed, now, last);
    const ScaledSteadyClock clock(speed, origin);
    CAPTURE(speed);
    CHECK(clock.mono_ns() > last);
    CHECK(clock.mono_ns() < last + static_cast<std::int64_t>(1e9 * speed));  // and not far beyond it
  }
  // The last record is in the past (speed 1, or a slow dry run): the plain clock will do.
  CHECK(resumed_clock_origin_ns(1.0, 5'000, 1'000) == 5'000);
  CHECK(resumed_clock_origin_ns(40.0, 5'000'000'000, 1'000) == 5'000'000'000);
}
