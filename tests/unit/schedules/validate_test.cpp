// Semantic errors (durations, envelopes, frequencies, xrd, instruments, sample state), all of
// them at once, in "file:line:column: key: message (value)" form; and warnings that are not errors.
#include <algorithm>

#include <doctest/doctest.h>

#include "fixture_helpers.hpp"
#include "schedules/schedule.hpp"
#include "schedules/validate.hpp"

using namespace glasslab::schedules;
using namespace glasslab::schedules::testing;

namespace {

void expect_error(const std::string& errors, const std::string& fixture, int line, const std::string& key,
                  const std::string& words) {
  CAPTURE(errors);
  REQUIRE(line > 0);
  const std::string found = line_for(errors, fixture_path(fixture), line, key);
  CHECK_MESSAGE(!found.empty(), "no error at line ", line, " for ", key);
  CHECK_MESSAGE(found.find(words) != std::string::npos, "'", words, "' missing from: ", found);
}

Schedule minimal_stage_schedule() {
  Schedule s;
  s.path = "code";
  s.title = "built in code";
  s.sample.name = "bar";
  s.sample.state = "as_cast";
  s.instruments.stage = StageConfig{};
  Step step;
  step.body = RampStep{400, 10};
  s.steps.push_back(step);
  return s;
}

}  // namespace

TEST_CASE("negative and zero durations are errors with their values") {
  const std::string errors = errors_of("bad_duration.toml");
  const std::string text = read_text(fixture_path("bad_duration.toml"));
  expect_error(errors, "bad_duration.toml", line_of(text, "duration_s = -5"), "step[1].duration_s",
               "must be positive (-5)");
  expect_error(errors, "bad_duration.toml", line_of(text, "duration_s = 0"), "step[2].duration_s",
               "must be positive (0)");
}

TEST_CASE("out of the stage envelope: temperature and rate, naming the limit") {
  const std::string errors = errors_of("out_of_envelope.toml");
  const std::string text = read_text(fixture_path("out_of_envelope.toml"));
  const std::string f = "out_of_envelope.toml";
  expect_error(errors, f, line_of(text, "to_K = 800"), "step[1].to_K", "above the stage envelope: max_K = 773.15 K");
  expect_error(errors, f, line_of(text, "rate_K_per_min = 120"), "step[2].rate_K_per_min",
               "above the stage envelope: max_rate_K_per_min = 100 K/min");
  expect_error(errors, f, line_of(text, "temperature_K = 150"), "step[3].temperature_K",
               "below the stage envelope: min_K = 193.15 K");
  expect_error(errors, f, line_of(text, "rate_K_per_min = 0.001"), "step[4].rate_K_per_min",
               "below the stage envelope: min_rate_K_per_min = 0.01 K/min");
  CHECK(count_lines(errors) == 4);
}

TEST_CASE("frequencies outside 0.01..100 Hz are errors") {
  const std::string errors = errors_of("frequencies.toml");
  const std::string text = read_text(fixture_path("frequencies.toml"));
  expect_error(errors, "frequencies.toml", line_of(text, "[0.5, 150]"), "step[1].frequencies_Hz",
               "frequency outside 0.01..100 Hz (150)");
  expect_error(errors, "frequencies.toml", line_of(text, "[0.001, 1]"), "step[2].frequencies_Hz",
               "frequency outside 0.01..100 Hz (0.001)");
}

TEST_CASE("outside the paper's per-mode DHR-3 ranges: warnings, not errors") {
  const Schedule s = load_schedule_file(fixture_path("frequency_warnings.toml"));  // must not throw
  const std::vector<Diagnostic> diagnostics = validate(s);
  CHECK_FALSE(has_errors(diagnostics));
  const std::string text = format_diagnostics(diagnostics);
  CAPTURE(text);
  CHECK(text.find("warning: step[1].frequencies_Hz: outside the paper's three-point bending range 0.05..15 Hz "
                  "on the DHR-3 (0.02)") != std::string::npos);
  CHECK(text.find("three-point bending range 0.05..15 Hz on the DHR-3 (30)") != std::string::npos);
  CHECK(text.find("step[2].frequencies_Hz: above the paper's torsion range (up to 60 Hz) on the DHR-3 (80)") !=
        std::string::npos);
  // 1 cycle at 0.02 Hz = 50 s = 4.2 K at 5 K/min: under the smearing limit, so no span warning.
  CHECK(text.find("spans") == std::string::npos);
}

TEST_CASE("xrd period shorter than the exposure is an error") {
  const std::string errors = errors_of("xrd_period.toml");
  const std::string text = read_text(fixture_path("xrd_period.toml"));
  expect_error(errors, "xrd_period.toml", line_of(text, "xrd ="), "step[1].xrd.period_s",
               "shorter than exposure_s = 12 s");
}

TEST_CASE("xrd without a trigger box or detector is an error for each") {
  const std::string errors = errors_of("xrd_without_trigger.toml");
  const std::string text = read_text(fixture_path("xrd_without_trigger.toml"));
  const int line = line_of(text, "xrd =");
  const std::string prefix = fmt::format("{}:{}:", fixture_path("xrd_without_trigger.toml"), line);
  CHECK(errors.find(prefix) == 0);
  CHECK(errors.find("step[1].xrd: xrd frames need a trigger box: add [instruments.trigger]") != std::string::npos);
  CHECK(errors.find(prefix, 1) != std::string::npos);  // the second error on the same line
  CHECK(errors.find("step[1].xrd: xrd frames need a detector: add [instruments.detector]") != std::string::npos);
  CHECK(count_lines(errors) == 2);
}

TEST_CASE("a DMA step without a rheometer, stage steps without a stage") {
  const std::string dma = errors_of("dma_without_rheometer.toml");
  expect_error(dma, "dma_without_rheometer.toml",
               line_of(read_text(fixture_path("dma_without_rheometer.toml")), "kind = \"dma_ramp\""), "step[1].kind",
               "a dma_ramp step needs the rheometer: add [instruments.rheometer]");
  const std::string stage = errors_of("stage_without_stage.toml");
  expect_error(stage, "stage_without_stage.toml",
               line_of(read_text(fixture_path("stage_without_stage.toml")), "kind = \"hold\""), "step[1].kind",
               "a hold step needs the stage: add [instruments.stage]");
}

TEST_CASE("unknown sample state lists the Table 2 states and suggests the closest") {
  const std::string errors = errors_of("unknown_state.toml");
  const std::string text = read_text(fixture_path("unknown_state.toml"));
  expect_error(errors, "unknown_state.toml", line_of(text, "state ="), "sample.state",
               "did you mean hpt_ln2_stored_ln2?");
  CHECK(errors.find("as_cast, hpt_rt_stored_rt, hpt_ln2_stored_ln2, hpt_rt_stored_ln2") != std::string::npos);
}

TEST_CASE("every error of a file is reported at once, in file order") {
  const std::string errors = errors_of("many_errors.toml");
  const std::string text = read_text(fixture_path("many_errors.toml"));
  const std::string f = "many_errors.toml";
  expect_error(errors, f, line_of(text, "state ="), "sample.state", "unknown sample state");
  expect_error(errors, f, line_of(text, "poll_Hz"), "instruments.stage.poll_Hz", "must be in (0, 10] Hz (50)");
  expect_error(errors, f, line_of(text, "temperature_C"), "step[1].temperature_C", "write temperature_K = 298.15");
  expect_error(errors, f, line_of(text, "to_K = 1000"), "step[2].to_K", "above the stage envelope: max_K = 873.15 K");
  expect_error(errors, f, line_of(text, "duration_s = -1"), "step[3].duration_s", "must be positive (-1)");
  CHECK(count_lines(errors) == 5);
  // Sorted by line.
  const auto sample_at = errors.find("sample.state");
  const auto duration_at = errors.find("step[3].duration_s");
  CHECK(sample_at < duration_at);
}

TEST_CASE("validate() on a schedule built in code: falls back to the step's location") {
  Schedule s = minimal_stage_schedule();
  s.steps[0].where = SourceLocation{"code", 7, 1};
  std::get<RampStep>(s.steps[0].body).rate_K_per_min = -3;
  const auto diagnostics = validate(s);
  REQUIRE(diagnostics.size() == 1);
  CHECK(diagnostics[0].to_string() ==
        "code:7:1: step[1].rate_K_per_min: must be positive (the direction comes from the target temperature) (-3)");
}

TEST_CASE("validate() checks instruments, xrd frame counts and strain") {
  Schedule s = minimal_stage_schedule();
  s.instruments.trigger = TriggerConfig{"usb:0403:6014", 5};
  s.instruments.detector = DetectorConfig{"frames", 2};
  s.instruments.rheometer = RheometerConfig{};
  s.instruments.rheometer->connection = "serial:/dev/ttyS0";
  Step hold;
  hold.body = HoldStep{300, 20, std::nullopt};
  hold.xrd = XrdAcquisition{12, 12, 3};  // 3 frames need 36 s, the hold lasts 20 s
  s.steps.push_back(hold);
  Step dma;
  DmaRampStep ramp;
  ramp.from_K = 123.15;
  ramp.to_K = 423.15;
  ramp.rate_K_per_min = 10;
  ramp.frequencies_Hz = {0.05};
  ramp.strain_pct = 2;
  ramp.acquisition_cycles = 0;
  dma.body = ramp;
  s.steps.push_back(dma);

  const std::string text = format_diagnostics(validate(s));
  CAPTURE(text);
  CHECK(text.find("instruments.trigger.pulse_width_us: the detector's external trigger needs a pulse of at least 20 us (5)") !=
        std::string::npos);
  CHECK(text.find("instruments.rheometer.connection: not a connection string for this instrument") != std::string::npos);
  CHECK(text.find("warning: step[2].xrd.frame_count: 3 frames need 36 s but the step lasts 20 s") != std::string::npos);
  CHECK(text.find("step[3].acquisition_cycles: must be at least 1 (0)") != std::string::npos);
  CHECK(text.find("warning: step[3].strain_pct: above 1 %") != std::string::npos);
}

TEST_CASE("the oven approach rate must be one the rheometer service takes (APPROACH 0.1..50 K/min)") {
  Schedule s = minimal_stage_schedule();
  s.instruments.rheometer = RheometerConfig{};
  for (double rate : {0.1, 20.0, 50.0}) {
    s.instruments.rheometer->approach_rate_K_per_min = rate;
    CHECK_FALSE(has_errors(validate(s)));
  }
  for (double rate : {0.0, 0.05, 55.0}) {
    s.instruments.rheometer->approach_rate_K_per_min = rate;
    const std::string text = format_diagnostics(validate(s));
    CAPTURE(text);
    CHECK(text.find("instruments.rheometer.approach_rate_K_per_min: outside the rheometer service's APPROACH range "
                    "0.1..50 K/min") != std::string::npos);
  }
  s.instruments.rheometer->envelope.max_rate_K_per_min = 25;
  s.instruments.rheometer->approach_rate_K_per_min = 30;
  CHECK(format_diagnostics(validate(s)).find("approach_rate_K_per_min: above the rheometer envelope: max_rate_K_per_min = "
                                             "25 K/min (30)") != std::string::npos);
}

TEST_CASE("a DMA point wider than 5 K of the ramp is warned about") {
  Schedule s = minimal_stage_schedule();
  s.instruments.rheometer = RheometerConfig{};
  DmaRampStep ramp;
  ramp.from_K = 123.15;
  ramp.to_K = 423.15;
  ramp.rate_K_per_min = 10;
  ramp.frequencies_Hz = {0.05, 1};
  ramp.strain_pct = 0.02;
  ramp.delay_cycles = 1;
  ramp.acquisition_cycles = 2;  // 3 cycles at 0.05 Hz = 60 s = 10 K at 10 K/min
  Step step;
  step.body = ramp;
  s.steps.push_back(step);
  const auto diagnostics = validate(s);
  CHECK_FALSE(has_errors(diagnostics));
  const std::string text = format_diagnostics(diagnostics);
  CHECK(text.find("one point at this frequency spans 10 K of the ramp (3 cycles)") != std::string::npos);
  CHECK(text.find("(1)") == std::string::npos);  // 1 Hz: 3 s = 0.5 K, fine
}

TEST_CASE("Diagnostic::to_string formats errors and warnings") {
  Diagnostic error{Severity::error, {"f.toml", 3, 5}, "step[1].to_K", "above", "900"};
  CHECK(error.to_string() == "f.toml:3:5: step[1].to_K: above (900)");
  Diagnostic warning{Severity::warning, {"f.toml", 4, 1}, "step[2].frequencies_Hz", "outside", ""};
  CHECK(warning.to_string() == "f.toml:4:1: warning: step[2].frequencies_Hz: outside");
  CHECK(format_diagnostics({warning, error}) == error.to_string() + "\n" + warning.to_string());
}

TEST_CASE("interlock settings: watchdog and rate window against the poll period, margins not negative") {
  Schedule s = minimal_stage_schedule();
  auto& stage = *s.instruments.stage;
  stage.poll_hz = 2;  // two poll periods: 1 s
  stage.watchdog_s = 0.8;
  stage.rate_window_s = 0.5;
  stage.over_temperature_margin_K = -1;
  stage.rate_margin_K_per_min = -2;
  std::string text = format_diagnostics(validate(s));
  CAPTURE(text);
  CHECK(text.find("instruments.stage.watchdog_s: shorter than two poll periods (1 s at poll_Hz = 2)") != std::string::npos);
  CHECK(text.find("instruments.stage.rate_window_s: shorter than two poll periods") != std::string::npos);
  CHECK(text.find("instruments.stage.over_temperature_margin_K: must not be negative (-1)") != std::string::npos);
  CHECK(text.find("instruments.stage.rate_margin_K_per_min: must not be negative (-2)") != std::string::npos);

  stage = StageConfig{};
  stage.watchdog_s = 1.5;  // longer than two polls, shorter than one driver recovery: a warning
  text = format_diagnostics(validate(s));
  CHECK_FALSE(has_errors(validate(s)));
  CHECK(text.find("warning: instruments.stage.watchdog_s: shorter than one recovery of the Linkam driver") !=
        std::string::npos);
  stage.watchdog_s = 0;
  CHECK(format_diagnostics(validate(s)).find("instruments.stage.watchdog_s: must be positive (0)") != std::string::npos);
}
