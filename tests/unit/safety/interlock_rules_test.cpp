// The interlock rules on readings alone: envelope with its margin, the fitted rate, the EB1 policy.
#include <doctest/doctest.h>

#include <cmath>

#include "acquisition/safety/interlock_rules.hpp"

using namespace glasslab;
using namespace glasslab::acquisition;
using namespace glasslab::acquisition::safety;

namespace {

StageReading reading_at(double t_s, double T_K, int error_bits = 0) {
  StageReading r;
  r.t_mono_ns = static_cast<std::int64_t>(std::llround(t_s * 1e9));
  r.T_K = T_K;
  r.error_bits = error_bits;
  r.rate_K_per_min = 50;
  return r;
}

StageSafetyLimits limits_330K() {
  StageSafetyLimits limits;
  limits.max_K = 330;
  limits.min_K = 200;
  limits.max_rate_K_per_min = 50;
  limits.over_temperature_margin_K = 5;
  limits.rate_margin_K_per_min = 10;
  limits.rate_window_s = 5;
  limits.safe_state = linkam::SafeState::hold;
  return limits;
}

/// Feeds a ramp at rate_K_per_min sampled at poll_hz, with the wire's 0.1 K rounding, and returns
/// the first trip (if any).
std::optional<InterlockTrip> feed_ramp(InterlockRules& rules, double rate_K_per_min, double seconds,
                                       double poll_hz = 2, double start_K = 250) {
  for (int i = 0; i <= static_cast<int>(seconds * poll_hz); ++i) {
    const double t_s = i / poll_hz;
    const double T_K = std::round((start_K + rate_K_per_min * t_s / 60.0) * 10.0) / 10.0;
    if (auto verdict = rules.evaluate(reading_at(t_s, T_K)); verdict.trip) return verdict.trip;
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("a reading above max_K plus the margin trips over_temperature and demands stop even when hold is configured") {
  InterlockRules rules(limits_330K());
  CHECK_FALSE(rules.evaluate(reading_at(0, 334.9)).trip);
  const auto trip = rules.evaluate(reading_at(0.5, 335.2)).trip;
  REQUIRE(trip);
  CHECK(trip->kind == InterlockKind::over_temperature);
  CHECK(trip->value == doctest::Approx(335.2));
  CHECK(trip->limit == doctest::Approx(335.0));
  CHECK(trip->action == linkam::SafeState::stop);  // holding an overheating stage is not safe
  const std::string text = describe(*trip, "serial:/dev/pts/9");
  CHECK(text.find("over_temperature") != std::string::npos);
  CHECK(text.find("serial:/dev/pts/9") != std::string::npos);
  CHECK(text.find("335.20 K") != std::string::npos);
  CHECK(text.find("limit 335.00 K") != std::string::npos);
  CHECK(text.find("stop (E)") != std::string::npos);
}

TEST_CASE("a reading below min_K minus the margin trips under_temperature") {
  InterlockRules rules(limits_330K());
  CHECK_FALSE(rules.evaluate(reading_at(0, 195.1)).trip);
  const auto trip = rules.evaluate(reading_at(0.5, 194.8)).trip;
  REQUIRE(trip);
  CHECK(trip->kind == InterlockKind::under_temperature);
  CHECK(trip->limit == doctest::Approx(195.0));
}

TEST_CASE("open circuit trips as such, not as an over-temperature of its bogus 999.9 degC reading") {
  InterlockRules rules(limits_330K());
  const auto trip = rules.evaluate(reading_at(0, 1273.05, 0x02)).trip;
  REQUIRE(trip);
  CHECK(trip->kind == InterlockKind::open_circuit);
  CHECK(trip->action == linkam::SafeState::stop);
  CHECK(std::isnan(trip->T_K));
  CHECK(describe(*trip, "x").find("EB1 0x82") != std::string::npos);
}

TEST_CASE("power surge trips and stops") {
  InterlockRules rules(limits_330K());
  const auto trip = rules.evaluate(reading_at(0, 300, 0x04)).trip;
  REQUIRE(trip);
  CHECK(trip->kind == InterlockKind::power_surge);
  CHECK(trip->action == linkam::SafeState::stop);
}

TEST_CASE("EB1 bits 3 to 5 do not trip: they say nothing about the sample") {
  InterlockRules rules(limits_330K());
  for (int bit : {0x08, 0x10, 0x20}) CHECK_FALSE(rules.evaluate(reading_at(bit, 300, bit)).trip);
}

TEST_CASE("cooling rate too fast warns once per episode under the warn policy") {
  InterlockRules rules(limits_330K());
  auto first = rules.evaluate(reading_at(0, 300, 0x01));
  CHECK_FALSE(first.trip);
  REQUIRE(first.warning);
  CHECK(first.warning->find("EB1 bit0") != std::string::npos);
  CHECK_FALSE(rules.evaluate(reading_at(0.5, 300, 0x01)).warning);  // same episode
  CHECK_FALSE(rules.evaluate(reading_at(1.0, 300, 0x00)).warning);  // cleared
  CHECK(rules.evaluate(reading_at(1.5, 300, 0x01)).warning);        // a new episode
}

TEST_CASE("cooling rate too fast trips under the stop policy, with the configured safe state") {
  auto limits = limits_330K();
  limits.on_cooling_rate_error = CoolingRatePolicy::stop_run;
  InterlockRules rules(limits);
  const auto trip = rules.evaluate(reading_at(0, 300, 0x01)).trip;
  REQUIRE(trip);
  CHECK(trip->kind == InterlockKind::cooling_rate);
  CHECK(trip->action == linkam::SafeState::hold);
}

TEST_CASE("the measured rate is a fit over the window: a ramp at the envelope's rate passes, one beyond it trips") {
  SUBCASE("50 K/min at 2 Hz and at 10 Hz, with the wire's 0.1 K steps: no trip") {
    InterlockRules slow(limits_330K());
    CHECK_FALSE(feed_ramp(slow, 50, 60, 2));
    CHECK(slow.measured_rate_K_per_min().value() == doctest::Approx(50).epsilon(0.05));
    InterlockRules fast(limits_330K());
    CHECK_FALSE(feed_ramp(fast, -50, 60, 10, 320));
    CHECK(fast.measured_rate_K_per_min().value() == doctest::Approx(-50).epsilon(0.05));
  }
  SUBCASE("65 K/min heating or cooling trips over_rate, with the measured value") {
    for (double rate : {65.0, -65.0}) {
      InterlockRules rules(limits_330K());
      const auto trip = feed_ramp(rules, rate, 60, 2, rate > 0 ? 210 : 320);
      REQUIRE(trip);
      CHECK(trip->kind == InterlockKind::over_rate);
      CHECK(trip->value == doctest::Approx(65).epsilon(0.05));
      CHECK(trip->limit == doctest::Approx(60));
      CHECK(trip->action == linkam::SafeState::stop);
      // Not before the window holds enough readings: at least half of rate_window_s.
      CHECK(trip->t_mono_ns >= 2'500'000'000);
    }
  }
}

TEST_CASE("no rate from readings spread over a gap: two points across 20 s say nothing") {
  InterlockRules rules(limits_330K());
  rules.evaluate(reading_at(0, 250));
  rules.evaluate(reading_at(20, 300));  // a 150 K/min step across a comms gap
  CHECK_FALSE(rules.measured_rate_K_per_min());
  CHECK_FALSE(rules.evaluate(reading_at(20.5, 300)).trip);
}

TEST_CASE("limits_from takes the envelope and the interlock keys of [instruments.stage]") {
  schedules::StageConfig stage;
  stage.envelope.max_K = 700;
  stage.envelope.max_rate_K_per_min = 40;
  stage.over_temperature_margin_K = 3;
  stage.rate_margin_K_per_min = 4;
  stage.rate_window_s = 8;
  stage.watchdog_s = 6;
  stage.on_cooling_rate_error = schedules::StageConfig::CoolingRatePolicy::stop;
  const auto limits = limits_from(stage);
  CHECK(limits.max_K == 700);
  CHECK(limits.max_rate_K_per_min == 40);
  CHECK(limits.over_temperature_margin_K == 3);
  CHECK(limits.rate_margin_K_per_min == 4);
  CHECK(limits.rate_window_s == 8);
  CHECK(limits.watchdog_s == 6);
  CHECK(limits.on_cooling_rate_error == CoolingRatePolicy::stop_run);
}

TEST_CASE("no rate across a line disturbance: a stale reading just before it and a fresh one after say nothing") {
  // A hold at 250 K, then a stale reply (late past the timeout) stands in for a fresh one: the
  // readings around the disturbance are 15 K apart within a second, about 150 K/min if fitted together.
  InterlockRules rules(limits_330K());
  for (int i = 0; i <= 10; ++i) CHECK_FALSE(rules.evaluate(reading_at(i * 0.5, 250)).trip);
  CHECK(rules.measured_rate_K_per_min().value() == doctest::Approx(0).epsilon(0.01));
  rules.restart_rate_window();  // the poller saw the line disturbed before the next reading
  CHECK_FALSE(rules.measured_rate_K_per_min());
  CHECK_FALSE(rules.evaluate(reading_at(5.5, 265)).trip);
  CHECK_FALSE(rules.evaluate(reading_at(6.0, 265)).trip);
  CHECK_FALSE(rules.measured_rate_K_per_min());  // two readings over 0.5 s: not yet a rate
  // Without the restart the same readings trip over_rate.
  InterlockRules unaware(limits_330K());
  for (int i = 0; i <= 10; ++i) unaware.evaluate(reading_at(i * 0.5, 250));
  unaware.evaluate(reading_at(5.5, 265));
  CHECK(unaware.evaluate(reading_at(6.0, 265)).trip);
}
