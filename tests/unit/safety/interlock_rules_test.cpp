// The interlock rules on readings alone: envelope with its margin, the measured rate (a repeated
// median: displaced readings, runaway latency), the EB1 policy.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

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

/// The wire's 0.1 K resolution.
double on_the_wire(double T_K) { return std::round(T_K * 10.0) / 10.0; }

/// The THMS600's envelope and the default interlock keys: over_rate beyond 150 + 10 K/min.
constexpr double kThms600RateLimit_K_per_min = 160;

struct DisplacedRun {
  std::optional<InterlockTrip> trip;
  double worst_rate_error_K_per_min = 0;  ///< |measured - true ramp| over every reading with a rate
};

/// A 10 K/min heating ramp from 300 K at poll_hz for `seconds`, in which the readings numbered in
/// `displaced` are off by displacement_K: readings that stand for a later (or earlier) moment than
/// their stamp, as after a host stall in a fast dry run.
DisplacedRun feed_displaced(double poll_hz, double seconds, const std::vector<int>& displaced, double displacement_K) {
  constexpr double kRamp_K_per_min = 10;
  InterlockRules rules(StageSafetyLimits{});
  DisplacedRun run;
  for (int i = 0; i <= static_cast<int>(seconds * poll_hz) && !run.trip; ++i) {
    const double t_s = i / poll_hz;
    double T_K = on_the_wire(300 + kRamp_K_per_min * t_s / 60.0);
    if (std::find(displaced.begin(), displaced.end(), i) != displaced.end()) T_K += displacement_K;
    run.trip = rules.evaluate(reading_at(t_s, T_K)).trip;
    if (const auto rate = rules.measured_rate_K_per_min())
      run.worst_rate_error_K_per_min = std::max(run.worst_rate_error_K_per_min, std::abs(*rate - kRamp_K_per_min));
  }
  return run;
}

/// A ramp at from_K_per_min from 300 K that runs away to to_K_per_min at onset_s; the experiment
/// seconds from the onset to the trip (nullopt: no trip within 20 s).
std::optional<double> runaway_trip_latency_s(double poll_hz, double from_K_per_min, double to_K_per_min,
                                             double onset_s) {
  InterlockRules rules(StageSafetyLimits{});
  const double onset_K = 300 + from_K_per_min * onset_s / 60.0;
  for (int i = 0; i <= static_cast<int>((onset_s + 20) * poll_hz); ++i) {
    const double t_s = i / poll_hz;
    const double T_K = t_s < onset_s ? 300 + from_K_per_min * t_s / 60.0 : onset_K + to_K_per_min * (t_s - onset_s) / 60.0;
    if (const auto trip = rules.evaluate(reading_at(t_s, on_the_wire(T_K))).trip) {
      REQUIRE(trip->kind == InterlockKind::over_rate);
      return t_s - onset_s;
    }
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
  for (int i = 13; i <= 30; ++i) CHECK_FALSE(rules.evaluate(reading_at(i * 0.5, 265)).trip);
  CHECK(rules.measured_rate_K_per_min().value() == doctest::Approx(0).epsilon(0.01));
  // Without the restart the same readings trip over_rate: the median rejects a displaced reading
  // or two, but a step that lasts is a rate once it fills half the window.
  InterlockRules unaware(limits_330K());
  for (int i = 0; i <= 10; ++i) unaware.evaluate(reading_at(i * 0.5, 250));
  std::optional<InterlockTrip> trip;
  for (int i = 11; i <= 30 && !trip; ++i) trip = unaware.evaluate(reading_at(i * 0.5, 265)).trip;
  REQUIRE(trip);
  CHECK(trip->kind == InterlockKind::over_rate);
}

TEST_CASE("one displaced reading does not fake a rate: a 10 K/min ramp with one reading 25 K ahead, 25 K behind or 100 K off") {
  // A 0.6 s host stall at --speed 250 is 150 s of experiment time: 25 K ahead on a 10 K/min ramp.
  // Least squares measured up to 210 K/min from it at 2 Hz (a false over_rate) and 62 K/min at 10 Hz.
  // Every position from the first reading to well past a full window; at 10 Hz every third one
  // (a reading's lever depends on its place in the window, which moves 0.3 s between them).
  for (double poll_hz : {2.0, 10.0})
    for (double displacement_K : {25.0, -25.0, 100.0})
      for (int displaced = 0; displaced <= static_cast<int>(12 * poll_hz); displaced += poll_hz > 5 ? 3 : 1) {
        CAPTURE(poll_hz);
        CAPTURE(displacement_K);
        CAPTURE(displaced);
        // Until the displaced reading has left the window.
        const auto run = feed_displaced(poll_hz, displaced / poll_hz + 6, {displaced}, displacement_K);
        CHECK_FALSE(run.trip);
        CHECK(run.worst_rate_error_K_per_min < 3);
      }
}

TEST_CASE("displaced readings are tolerated up to half the window less one: 4 of the 11 readings of 5 s at 2 Hz") {
  // The repeated median stays within the slopes of the other readings while floor(n/2) - 1 of the
  // n in the window are displaced: 4 with the window full at 2 Hz. Two or three barely move it; at
  // four it may land on the slope of two neighbours, which the wire's 0.1 K makes 0 or 12 K/min
  // apart at 2 Hz. Checked as neighbours (one stall after another) and spread out.
  for (int count : {2, 3, 4})
    for (int spacing : {1, 2}) {
      for (int first = 8; first <= 24; ++first) {
        std::vector<int> displaced;
        for (int k = 0; k < count; ++k) displaced.push_back(first + k * spacing);
        CAPTURE(count);
        CAPTURE(spacing);
        CAPTURE(first);
        const auto run = feed_displaced(2, 20, displaced, 25);
        CHECK_FALSE(run.trip);
        CHECK(run.worst_rate_error_K_per_min <= (count < 4 ? 3 : 12 + 1e-9));
      }
    }
  SUBCASE("at 10 Hz, a stall every half second of a full window") {
    const auto run = feed_displaced(10, 20, {60, 65, 70, 75, 80, 85, 90, 95, 100}, 25);
    CHECK_FALSE(run.trip);
    CHECK(run.worst_rate_error_K_per_min < 3);
  }
}

TEST_CASE("a real runaway trips within rate_window_s/2 + 2 poll periods of its onset, heating or cooling") {
  // The rate jumps to 200 K/min (the simulated T95's heater at full power) from anywhere in the
  // envelope, at several moments between two polls. Least squares needed up to 4.05 s at 10 Hz,
  // 4.5 s at 2 Hz and 5.0 s at 1 Hz for the same runaways.
  const double window_s = StageSafetyLimits{}.rate_window_s;
  for (double poll_hz : {1.0, 2.0, 10.0})
    for (double from_K_per_min : {-100.0, -50.0, 0.0, 10.0, 150.0})
      for (double to_K_per_min : {200.0, -200.0})
        for (int phase = 0; phase < 4; ++phase) {
          const double onset_s = 12 + phase / (4 * poll_hz);
          const double bound_s = window_s / 2 + 2 / poll_hz;
          CAPTURE(poll_hz);
          CAPTURE(from_K_per_min);
          CAPTURE(to_K_per_min);
          CAPTURE(onset_s);
          const auto latency_s = runaway_trip_latency_s(poll_hz, from_K_per_min, to_K_per_min, onset_s);
          REQUIRE(latency_s);
          CHECK(*latency_s <= bound_s);
        }
  SUBCASE("a violent runaway is not slower than that either") {
    for (double poll_hz : {1.0, 2.0, 10.0}) {
      const auto latency_s = runaway_trip_latency_s(poll_hz, 10, 3000, 12);
      REQUIRE(latency_s);
      CHECK(*latency_s <= window_s / 2 + 2 / poll_hz);
    }
  }
}

TEST_CASE("a ramp at the THMS600's full 150 K/min does not trip its 160 K/min limit, with or without a displaced reading") {
  for (double poll_hz : {1.0, 2.0, 10.0})
    for (double rate_K_per_min : {150.0, -150.0}) {
      CAPTURE(poll_hz);
      CAPTURE(rate_K_per_min);
      InterlockRules rules(StageSafetyLimits{});
      for (int i = 0; i <= static_cast<int>(30 * poll_hz); ++i) {
        const double t_s = i / poll_hz;
        double T_K = on_the_wire(500 + rate_K_per_min * t_s / 60.0 + 0.04 * std::sin(7.3 * t_s));  // sensor noise
        if (i == static_cast<int>(15 * poll_hz)) T_K += 60;  // a 24 s stall at 150 K/min
        CHECK_FALSE(rules.evaluate(reading_at(t_s, T_K)).trip);
      }
      CHECK(std::abs(rules.measured_rate_K_per_min().value()) < kThms600RateLimit_K_per_min);
      CHECK(rules.measured_rate_K_per_min().value() == doctest::Approx(rate_K_per_min).epsilon(0.03));
    }
}

TEST_CASE("a window of more than 101 readings uses every k-th, the newest always: 30 s at 10 Hz") {
  auto limits = limits_330K();
  limits.rate_window_s = 30;
  InterlockRules steady(limits);
  CHECK_FALSE(feed_ramp(steady, 50, 60, 10, 210));
  CHECK(steady.measured_rate_K_per_min().value() == doctest::Approx(50).epsilon(0.02));
  InterlockRules beyond(limits);
  const auto trip = feed_ramp(beyond, 65, 60, 10, 210);
  REQUIRE(trip);
  CHECK(trip->value == doctest::Approx(65).epsilon(0.03));
}

TEST_CASE("a starved poller's readings do not fake a rate: readings 6 ms apart, three in the window") {
  // Recorded in a dry run at x250 beside four busy loops (poll_Hz 1, 0.67 Hz achieved), cooling
  // at 20 K/min: after a stall the poller sent two T 6 ms apart, 0.1 K apart on the wire. The
  // median of the three readings of the last 5 s measured -514 K/min from them.
  const std::vector<std::pair<double, double>> readings = {
      {0.642, 245.65},  {1.121, 245.45},  {3.116, 244.85},  {4.121, 244.45},  {5.459, 244.05},
      {6.121, 243.75},  {8.117, 243.15},  {10.642, 242.35}, {12.634, 241.65}, {14.116, 241.15},
      {16.117, 240.45}, {18.635, 239.65}, {20.116, 239.15}, {20.122, 239.15}, {22.642, 238.35},
      {24.115, 237.85}, {24.121, 237.75}, {27.115, 236.75}, {27.121, 236.85}, {29.640, 236.05}};
  InterlockRules rules(StageSafetyLimits{});
  for (const auto& [t_s, T_K] : readings) {
    CAPTURE(t_s);
    CHECK_FALSE(rules.evaluate(reading_at(t_s, T_K)).trip);
    if (const auto rate = rules.measured_rate_K_per_min()) CHECK(*rate == doctest::Approx(-20).epsilon(0.5));
  }
  SUBCASE("nor hide one: a burst of four readings within 20 ms, equal on the wire, on a -50 K/min ramp") {
    InterlockRules cooling(StageSafetyLimits{});
    std::vector<double> times;
    for (int i = 0; i < 8; ++i) times.push_back(i * 1.7);
    for (int i = 0; i < 4; ++i) times.push_back(8 * 1.7 + 0.9 + i * 0.006);
    for (double t_s : times) cooling.evaluate(reading_at(t_s, on_the_wire(400 - 50 * t_s / 60.0)));
    CHECK(cooling.measured_rate_K_per_min().value() == doctest::Approx(-50).epsilon(0.1));
  }
}

TEST_CASE("with three or four readings in rate_window_s the window reaches back to six: two displaced ones are set aside") {
  // Readings 1.7 s apart (a slow poll_Hz, or a starved poller): three in 5 s, six in 8.5 s.
  constexpr double kSpacing_s = 1.7;
  for (int count : {1, 2})
    for (int first = 3; first <= 12; ++first) {
      CAPTURE(count);
      CAPTURE(first);
      InterlockRules rules(StageSafetyLimits{});
      std::optional<InterlockTrip> trip;
      for (int i = 0; i <= 25 && !trip; ++i) {
        double T_K = on_the_wire(300 + 10 * i * kSpacing_s / 60.0);
        if (i == first || (count == 2 && i == first + 2)) T_K += 25;
        trip = rules.evaluate(reading_at(i * kSpacing_s, T_K)).trip;
        if (const auto rate = rules.measured_rate_K_per_min()) CHECK(std::abs(*rate - 10) < 3);
      }
      CHECK_FALSE(trip);
    }
  SUBCASE("and a runaway trips within half that span and two readings") {
    for (double to_K_per_min : {200.0, -200.0}) {
      InterlockRules rules(StageSafetyLimits{});
      const double onset_s = 10 * kSpacing_s + 0.4;
      std::optional<double> latency_s;
      for (int i = 0; i <= 40 && !latency_s; ++i) {
        const double t_s = i * kSpacing_s;
        const double T_K = 300 + 10 * std::min(t_s, onset_s) / 60.0 + to_K_per_min * std::max(0.0, t_s - onset_s) / 60.0;
        if (rules.evaluate(reading_at(t_s, on_the_wire(T_K))).trip) latency_s = t_s - onset_s;
      }
      CAPTURE(to_K_per_min);
      REQUIRE(latency_s);
      CHECK(*latency_s <= 5 * kSpacing_s / 2 + 2 * kSpacing_s);
    }
  }
}
