// Plan durations computed from the schedule's own numbers (the paper's profile and DMA sweeps).
#include <doctest/doctest.h>

#include <cmath>

#include "fixture_helpers.hpp"
#include "schedules/plan.hpp"
#include "schedules/schedule.hpp"

using namespace glasslab::schedules;
using namespace glasslab::schedules::testing;

namespace {

Schedule paper(const std::string& name) {
  return load_schedule_file(std::string(GLASSLAB_SOURCE_DIR) + "/schedules/paper/" + name);
}

}  // namespace

TEST_CASE("paper heating profile: approach + hold, (873.15-93.15)/10 min, (873.15-303.15)/50 min") {
  const Schedule s = paper("heating_profile.toml");
  const auto& hold = std::get<HoldStep>(s.steps[0].body);
  const auto& heat = std::get<RampStep>(s.steps[1].body);
  const auto& cool = std::get<RampStep>(s.steps[2].body);
  const double initial_K = 295.15;
  const double approach_rate = s.instruments.stage->approach_rate_K_per_min;

  const Plan plan = make_plan(s, initial_K);
  REQUIRE(plan.steps.size() == 3);
  const double approach_s = (initial_K - hold.temperature_K) / approach_rate * 60;
  CHECK(plan.steps[0].approach_s == doctest::Approx(approach_s));
  CHECK(plan.steps[0].duration_s == doctest::Approx(approach_s + hold.duration_s));
  CHECK(plan.steps[1].duration_s == doctest::Approx((heat.to_K - hold.temperature_K) / heat.rate_K_per_min * 60));
  CHECK(plan.steps[1].duration_s == doctest::Approx((873.15 - 93.15) / 10 * 60));
  CHECK(plan.steps[2].duration_s == doctest::Approx((heat.to_K - cool.to_K) / cool.rate_K_per_min * 60));
  CHECK(plan.steps[2].duration_s == doctest::Approx((873.15 - 303.15) / 50 * 60));
  CHECK(plan.steps[1].start_s == doctest::Approx(plan.steps[0].duration_s));
  CHECK(plan.steps[2].start_s == doctest::Approx(plan.steps[0].duration_s + plan.steps[1].duration_s));
  const double total = plan.steps[0].duration_s + plan.steps[1].duration_s + plan.steps[2].duration_s;
  CHECK(plan.total_s == doctest::Approx(total));
  CHECK(plan.steps[1].start_K == doctest::Approx(93.15));
  CHECK(plan.steps[1].end_K == doctest::Approx(873.15));
  CHECK(plan.steps[1].description == "ramp 93.15 K → 873.15 K at 10 K/min");
  CHECK(plan.steps[0].checkpoint);

  // Starting already cold removes the approach.
  const Plan cold = make_plan(s, hold.temperature_K);
  CHECK(cold.steps[0].duration_s == doctest::Approx(hold.duration_s));
  CHECK(cold.total_s == doctest::Approx(total - approach_s));
}

TEST_CASE("format_plan prints units, steps and the total as h:mm:ss") {
  const Plan plan = make_plan(paper("heating_profile.toml"));
  const std::string text = format_plan(plan);
  CAPTURE(text);
  CHECK(text.find("ramp 93.15 K → 873.15 K at 10 K/min") != std::string::npos);
  CHECK(text.find("ramp 873.15 K → 303.15 K at 50 K/min") != std::string::npos);
  CHECK(text.find("from K") != std::string::npos);
  CHECK(text.find(fmt::format("total: {} (", format_hms(plan.total_s))) != std::string::npos);
  CHECK(text.find("[checkpoint]") != std::string::npos);
}

TEST_CASE("format_hms") {
  CHECK(format_hms(0) == "0:00:00");
  CHECK(format_hms(59.4) == "0:00:59");
  CHECK(format_hms(3600 + 34 * 60 + 40.4) == "1:34:40");
  CHECK(format_hms(12 * 3600 + 5) == "12:00:05");
  CHECK(format_hms(30 * 3600) == "30:00:00");
}

TEST_CASE("in-situ XRD: 12 s frames back to back over the 10 K/min ramp, one crystalline frame") {
  const Schedule s = paper("xrd_insitu_heating.toml");
  const Plan plan = make_plan(s, 93.15);
  REQUIRE(plan.steps.size() == 4);
  const double ramp_s = (873.15 - 93.15) / 10 * 60;
  const auto& xrd = *s.steps[1].xrd;
  const int expected = static_cast<int>((ramp_s - xrd.exposure_s) / xrd.period_s) + 1;
  CHECK(plan.steps[1].expected_frames == expected);
  CHECK(expected == 390);  // the "about 390 frames"
  CHECK_FALSE(plan.steps[2].expected_frames.has_value());
  CHECK(plan.steps[3].expected_frames == 1);
  CHECK(plan.total_frames == expected + 1);
}

TEST_CASE("frames_in_window counts whole exposures and honours frame_count") {
  CHECK(frames_in_window(XrdAcquisition{12, 12, std::nullopt}, 11.9) == 0);
  CHECK(frames_in_window(XrdAcquisition{12, 12, std::nullopt}, 12) == 1);
  CHECK(frames_in_window(XrdAcquisition{12, 12, std::nullopt}, 35.9) == 2);
  CHECK(frames_in_window(XrdAcquisition{12, 12, std::nullopt}, 36) == 3);
  CHECK(frames_in_window(XrdAcquisition{15, 12, std::nullopt}, 42) == 3);  // 0-12, 15-27, 30-42
  CHECK(frames_in_window(XrdAcquisition{12, 12, 2}, 3600) == 2);
}

TEST_CASE("DMA ramp: oven approach + |ΔT|/rate, points from the per-frequency cycle times") {
  const Schedule s = paper("dma_gamma.toml");
  const auto& ramp = std::get<DmaRampStep>(s.steps[0].body);
  const Plan plan = make_plan(s, 295.15, 295.15);
  const double approach_s = (295.15 - ramp.from_K) / s.instruments.rheometer->approach_rate_K_per_min * 60;
  const double ramp_s = (ramp.to_K - ramp.from_K) / ramp.rate_K_per_min * 60;
  CHECK(plan.steps[0].approach_s == doctest::Approx(approach_s));
  CHECK(plan.steps[0].duration_s == doctest::Approx(approach_s + ramp_s));
  CHECK(plan.steps[0].on_rheometer);

  double sweep_s = 0;
  for (double f : ramp.frequencies_Hz) sweep_s += 0.5 + (ramp.delay_cycles + ramp.acquisition_cycles) / f;  // settling
  CHECK(sweep_duration_s(ramp.frequencies_Hz, ramp.delay_cycles, ramp.acquisition_cycles) == doctest::Approx(sweep_s));
  // Count by walking the sweep point by point until the ramp's time runs out.
  int points = 0;
  for (double t = 0;; ++points) {
    t += 0.5 + (ramp.delay_cycles + ramp.acquisition_cycles) / ramp.frequencies_Hz[points % ramp.frequencies_Hz.size()];
    if (t > ramp_s + 1e-9) break;
  }
  CHECK(plan.steps[0].expected_dma_points == points);
}

TEST_CASE("DMA isothermal: per temperature approach + soak + Σ (settling + (delay+acq)/f)") {
  Schedule s;
  s.title = "iso";
  s.instruments.rheometer = RheometerConfig{};
  s.instruments.rheometer->approach_rate_K_per_min = 10;
  DmaIsothermalStep iso;
  iso.temperatures_K = {300, 320, 340};
  iso.frequencies_Hz = {0.5, 2};
  iso.soak_s = 120;
  iso.delay_cycles = 2;
  iso.acquisition_cycles = 3;
  Step step;
  step.body = iso;
  s.steps.push_back(step);
  const Plan plan = make_plan(s, 295.15, 280);
  const double sweep_s = (0.5 + 5 / 0.5) + (0.5 + 5 / 2.0);  // 0.5 s settling per point
  const double approach_s = (20 + 20 + 20) / 10.0 * 60;  // 280 -> 300 -> 320 -> 340 K
  CHECK(plan.steps[0].duration_s == doctest::Approx(approach_s + 3 * (120 + sweep_s)));
  CHECK(plan.steps[0].expected_dma_points == 6);
  CHECK(plan.steps[0].end_K == doctest::Approx(340));
}

TEST_CASE("overnight DMA queue plans to about twelve hours") {
  const Plan plan = make_plan(paper("dma_overnight.toml"));
  CHECK(plan.total_s > 11 * 3600);
  CHECK(plan.total_s < 13 * 3600);
  // Checkpoints mark queue items: the first step of each, not the middle of the β pair.
  int checkpoints = 0;
  for (const auto& step : plan.steps) checkpoints += step.checkpoint;
  CHECK(checkpoints == 4);
  CHECK_FALSE(plan.steps[4].checkpoint);
  CHECK_FALSE(plan.steps[5].checkpoint);
}

TEST_CASE("a resumed run's plan approaches its first step from the measured temperature") {
  const Schedule s = paper("dma_overnight.toml");
  const double rate = s.instruments.rheometer->approach_rate_K_per_min;
  const Plan whole = make_plan(s);
  REQUIRE(whole.steps.size() > 3);
  const auto& third = std::get<DmaRampStep>(s.steps[2].body);
  const double oven_at_resume_K = 400.0;
  const Plan resumed = make_plan(s, kRoomTemperature_K, oven_at_resume_K, 2);
  // The steps an earlier run took keep their places on the time line.
  CHECK(resumed.steps[1].start_s == doctest::Approx(whole.steps[1].start_s));
  CHECK(resumed.steps[2].start_s == doctest::Approx(whole.steps[2].start_s));
  // The first resumed step approaches from the oven as measured, not from where step 2 ended.
  CHECK(resumed.steps[2].approach_s == doctest::Approx(std::abs(third.from_K - oven_at_resume_K) / rate * 60));
  CHECK(resumed.steps[2].approach_s != doctest::Approx(whole.steps[2].approach_s));
  const double shift_s = resumed.steps[2].approach_s - whole.steps[2].approach_s;
  CHECK(resumed.total_s == doctest::Approx(whole.total_s + shift_s));
  CHECK(resumed.steps[3].start_s == doctest::Approx(whole.steps[3].start_s + shift_s));
  // first_step 0 is the plain plan from the given temperatures.
  const Plan from_warm = make_plan(s, kRoomTemperature_K, oven_at_resume_K, 0);
  CHECK(from_warm.steps[0].approach_s ==
        doctest::Approx(std::abs(std::get<DmaRampStep>(s.steps[0].body).from_K - oven_at_resume_K) / rate * 60));
}
