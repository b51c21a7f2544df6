// Structural errors of the TOML reader: each names file, line and key, and says what to write.
#include <doctest/doctest.h>

#include "fixture_helpers.hpp"
#include "schedules/schedule.hpp"

using namespace glasslab::schedules;
using namespace glasslab::schedules::testing;

namespace {

/// Asserts that `errors` has a line at the key's line naming `key` and containing `words`.
void expect_error(const std::string& errors, const std::string& fixture, int line, const std::string& key,
                  const std::string& words) {
  CAPTURE(errors);
  REQUIRE(line > 0);
  const std::string found = line_for(errors, fixture_path(fixture), line, key);
  CHECK_MESSAGE(!found.empty(), "no error at line ", line, " for ", key);
  CHECK_MESSAGE(found.find(words) != std::string::npos, "'", words, "' missing from: ", found);
}

}  // namespace

TEST_CASE("unknown key: names file, line, key and the closest known key") {
  const std::string errors = errors_of("unknown_key.toml");
  const std::string text = read_text(fixture_path("unknown_key.toml"));
  expect_error(errors, "unknown_key.toml", line_of(text, "temprature_K"), "step[1].temprature_K",
               "unknown key, did you mean temperature_K?");
  CHECK(errors.find("(300)") != std::string::npos);
  // The typo explains the absent temperature_K: one mistake, one message.
  CHECK(count_lines(errors) == 1);
}

TEST_CASE("missing key: points at the step header and names the key") {
  const std::string errors = errors_of("missing_key.toml");
  const std::string text = read_text(fixture_path("missing_key.toml"));
  expect_error(errors, "missing_key.toml", line_in_step(text, 2, "[[step]]"), "step[2].rate_K_per_min",
               "missing key");
  CHECK(count_lines(errors) == 1);
}

TEST_CASE("wrong type: a quantity written as a string is refused with a hint") {
  const std::string errors = errors_of("wrong_type.toml");
  const std::string text = read_text(fixture_path("wrong_type.toml"));
  expect_error(errors, "wrong_type.toml", line_of(text, "temperature_K ="), "step[1].temperature_K",
               "wrong type: expected a number, got a string; write the number alone");
  expect_error(errors, "wrong_type.toml", line_of(text, "checkpoint ="), "step[1].checkpoint",
               "expected true or false");
  CHECK(errors.find("(\"93.15 K\")") != std::string::npos);
}

TEST_CASE("wrong unit: says which unit is expected and what to write, never converts") {
  const std::string errors = errors_of("wrong_unit.toml");
  const std::string text = read_text(fixture_path("wrong_unit.toml"));
  expect_error(errors, "wrong_unit.toml", line_of(text, "temperature_C"), "step[1].temperature_C",
               "expected kelvin: write temperature_K = 93.15");
  expect_error(errors, "wrong_unit.toml", line_of(text, "duration_min"), "step[1].duration_min",
               "expected seconds: write duration_s = 300");
  expect_error(errors, "wrong_unit.toml", line_of(text, "rate_K_per_s"), "step[2].rate_K_per_s",
               "expected kelvin per minute: write rate_K_per_min = 30");
  CHECK(errors.find("never converts") != std::string::npos);
  // No extra "missing key" for temperature_K, duration_s or rate_K_per_min.
  CHECK(errors.find("missing key") == std::string::npos);
  CHECK(count_lines(errors) == 3);
}

TEST_CASE("step structure: unknown kind, unknown mode, a key of another kind of step") {
  const std::string errors = errors_of("step_structure.toml");
  const std::string text = read_text(fixture_path("step_structure.toml"));
  expect_error(errors, "step_structure.toml", line_of(text, "kind = \"heat\""), "step[1].kind",
               "unknown step kind");
  expect_error(errors, "step_structure.toml", line_of(text, "duration_s"), "step[2].duration_s",
               "duration_s belongs to hold steps, not to ramp steps");
  expect_error(errors, "step_structure.toml", line_of(text, "mode = \"shear\""), "step[3].mode",
               "expected \"torsion\" or \"bending\"");
  // Nothing more about the step whose kind is unknown (its to_K is not "unknown").
  CHECK(errors.find("step[1].to_K") == std::string::npos);
  CHECK(count_lines(errors) == 3);
}

TEST_CASE("TOML syntax error names file, line and column") {
  try {
    load_schedule_file(fixture_path("syntax_error.toml"));
    FAIL("a syntax error was accepted");
  } catch (const glasslab::ScheduleError& e) {
    const std::string message = e.what();
    CHECK(message.rfind(fixture_path("syntax_error.toml") + ":4:", 0) == 0);
    CHECK(message.find("TOML syntax") != std::string::npos);
  }
}

TEST_CASE("a missing file is a ScheduleError naming it") {
  CHECK_THROWS_WITH_AS(load_schedule_file("/nonexistent/schedule.toml"),
                       doctest::Contains("/nonexistent/schedule.toml"), glasslab::ScheduleError);
}

TEST_CASE("top-level structure: missing tables, [step] instead of [[step]], unknown table") {
  const std::string text = "[schedule]\ntitle = \"t\"\n\n[step]\nkind = \"hold\"\n\n[instrument.stage]\n";
  try {
    parse_schedule(text, "inline.toml");
    FAIL("accepted");
  } catch (const glasslab::ScheduleError& e) {
    const std::string errors = e.what();
    CAPTURE(errors);
    CHECK(errors.find("inline.toml:1:1: sample: missing key") != std::string::npos);
    CHECK(errors.find("inline.toml:4:2: step: wrong type: expected an array of tables: write [[step]]") !=
          std::string::npos);
    CHECK(errors.find("inline.toml:7:2: instrument: unknown key, did you mean instruments?") != std::string::npos);
  }
}

TEST_CASE("a good schedule reads into the model with every field") {
  const std::string text = R"(
[schedule]
title = "model"
operator = "ab"
[sample]
name = "bar"
state = "hpt_rt_stored_ln2"
mass_mg = 12.5
[instruments.stage]
poll_Hz = 5
safe_state = "hold"
[instruments.trigger]
[instruments.detector]
watch_dir = "/data/frames"
[instruments.rheometer]
connection = "tcp:10.0.0.2:5025"
[[step]]
kind = "hold"
temperature_K = 100
duration_s = 60
approach_rate_K_per_min = 15
checkpoint = true
label = "cold"
[[step]]
kind = "ramp"
to_K = 200
rate_K_per_min = 10
xrd = { period_s = 13, exposure_s = 12, frame_count = 5 }
[[step]]
kind = "dma_isothermal"
temperatures_K = [300, 310]
frequencies_Hz = [1, 10]
mode = "torsion"
strain_pct = 0.01
soak_s = 30
delay_cycles = 2
acquisition_cycles = 4
sample_state = "as_cast"
)";
  const Schedule s = parse_schedule(text, "model.toml");
  CHECK(s.title == "model");
  CHECK(s.operator_name == "ab");
  CHECK(s.sample.state == "hpt_rt_stored_ln2");
  CHECK(s.sample.mass_mg == doctest::Approx(12.5));
  CHECK(s.sample.composition == "Cu44Zr44Al8Hf2Co2");
  REQUIRE(s.instruments.stage);
  CHECK(s.instruments.stage->poll_hz == doctest::Approx(5));
  CHECK(s.instruments.stage->safe_state == StageConfig::SafeState::hold);
  CHECK(s.instruments.stage->connection == "serial:/dev/ttyUSB0?baud=19200&flow=rtscts");
  CHECK(s.instruments.trigger->connection == "usb:0403:6014");
  CHECK(s.instruments.detector->watch_dir == "/data/frames");
  CHECK(s.instruments.rheometer->connection == "tcp:10.0.0.2:5025");
  REQUIRE(s.steps.size() == 3);
  const auto& hold = std::get<HoldStep>(s.steps[0].body);
  CHECK(hold.approach_rate_K_per_min == doctest::Approx(15));
  CHECK(s.steps[0].checkpoint);
  CHECK(s.steps[0].label == "cold");
  CHECK(s.steps[0].where.line == 17);
  CHECK(s.steps[1].kind() == "ramp");
  REQUIRE(s.steps[1].xrd);
  CHECK(s.steps[1].xrd->period_s == doctest::Approx(13));
  CHECK(s.steps[1].xrd->frame_count == 5);
  const auto& iso = std::get<DmaIsothermalStep>(s.steps[2].body);
  CHECK(iso.mode == DmaMode::torsion);
  CHECK(iso.temperatures_K.size() == 2);
  CHECK(iso.delay_cycles == 2);
  CHECK(iso.acquisition_cycles == 4);
  CHECK(iso.sample_state == "as_cast");
  CHECK(s.locations.at("step[2].to_K").line == 26);
  CHECK(s.text == text);
  // Interlock settings not given: their defaults (docs/schedule-format.md).
  CHECK(s.instruments.stage->watchdog_s == doctest::Approx(10));
  CHECK(s.instruments.stage->over_temperature_margin_K == doctest::Approx(5));
  CHECK(s.instruments.stage->on_cooling_rate_error == StageConfig::CoolingRatePolicy::warn);
}

TEST_CASE("interlock keys of [instruments.stage] are read, and an unknown cooling-rate policy is refused") {
  const std::string head = R"(
[schedule]
title = "interlocks"
[sample]
name = "bar"
state = "as_cast"
[instruments.stage]
watchdog_s = 4
over_temperature_margin_K = 2.5
rate_margin_K_per_min = 20
rate_window_s = 8
)";
  const std::string step = "[[step]]\nkind = \"hold\"\ntemperature_K = 300\nduration_s = 60\n";
  const Schedule s = parse_schedule(head + "on_cooling_rate_error = \"stop\"\n" + step, "interlocks.toml");
  const auto& stage = *s.instruments.stage;
  CHECK(stage.watchdog_s == doctest::Approx(4));
  CHECK(stage.over_temperature_margin_K == doctest::Approx(2.5));
  CHECK(stage.rate_margin_K_per_min == doctest::Approx(20));
  CHECK(stage.rate_window_s == doctest::Approx(8));
  CHECK(stage.on_cooling_rate_error == StageConfig::CoolingRatePolicy::stop);
  try {
    parse_schedule(head + "on_cooling_rate_error = \"ignore\"\n" + step, "interlocks.toml");
    FAIL("an unknown policy was accepted");
  } catch (const glasslab::ScheduleError& e) {
    const std::string errors = e.what();
    CHECK(errors.find("interlocks.toml:12:") != std::string::npos);
    CHECK(errors.find("instruments.stage.on_cooling_rate_error: expected \"warn\"") != std::string::npos);
    CHECK(errors.find("(\"ignore\")") != std::string::npos);
  }
}
