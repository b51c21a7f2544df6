// libFuzzer target: the schedule reader (schedules/reader.cpp) and what `glasslab check` does with
// a schedule it accepted: parse_schedule() (TOML, structure, full validation), then validate() for
// the warnings, make_plan() and format_plan(); parse_sample() reads the same bytes as a
// `--sample` file. Bad input must be a ScheduleError; an accepted schedule must have steps, no
// error diagnostics, and a plan whose times and counts are finite and not negative.
#include <cmath>

#include "fuzz/fuzz_support.hpp"
#include "schedules/plan.hpp"
#include "schedules/schedule.hpp"
#include "schedules/validate.hpp"

namespace {

using glasslab::ErrorCategory;
using glasslab::fuzz::parse_or_typed_error;
using glasslab::fuzz::require;
namespace schedules = glasslab::schedules;

void check_plan(const schedules::Schedule& schedule) {
  const schedules::Plan plan = schedules::make_plan(schedule);
  require(plan.steps.size() == schedule.steps.size(), "one plan step per schedule step");
  require(std::isfinite(plan.total_s) && plan.total_s >= 0, "plan total is finite and not negative");
  require(plan.total_frames >= 0 && plan.total_dma_points >= 0, "plan counts are not negative");
  for (const auto& step : plan.steps) {
    require(std::isfinite(step.duration_s) && step.duration_s >= 0, "step duration is finite and not negative");
    require(step.expected_frames.value_or(0) >= 0 && step.expected_dma_points.value_or(0) >= 0,
            "step counts are not negative");
    require(schedules::format_hms(step.duration_s).front() != '-', "a duration prints without a minus");
  }
  require(!schedules::format_plan(plan).empty(), "the plan prints");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = glasslab::fuzz::as_text(data, size);
  parse_or_typed_error(ErrorCategory::schedule, [&] {
    const schedules::Schedule schedule = schedules::parse_schedule(text, "fuzz.toml");
    require(!schedule.steps.empty(), "an accepted schedule has steps");
    require(!schedules::has_errors(schedules::validate(schedule)), "an accepted schedule validates");
    check_plan(schedule);
  });
  parse_or_typed_error(ErrorCategory::schedule, [&] {
    const schedules::Sample sample = schedules::parse_sample(text, "fuzz-sample.toml");
    require(schedules::is_known_sample_state(sample.state), "an accepted sample has a Table 2 state");
  });
  return 0;
}
