// schedules/: inputs of the schedule fuzz target (fuzz/regressions/schedule/; docs/fuzzing.md), read
// by the same parse_schedule() and make_plan() as `glasslab check`. Before the fixes they drove
// toml++ 3.3.0 into TOML_UNREACHABLE while it looked for whitespace (schedules/toml_guard.hpp), or
// cast a frame count beyond int (undefined behaviour) in the plan.
#include <doctest/doctest.h>

#include <limits>
#include <string>

#include "schedules/plan.hpp"

#include "tests/unit/schedules/fixture_helpers.hpp"

using namespace glasslab;
using namespace glasslab::schedules;
using glasslab::schedules::testing::read_text;

namespace {

std::string schedule_error_of(const std::string& text, const std::string& path = "f.toml") {
  try {
    parse_schedule(text, path);
  } catch (const ScheduleError& e) {
    return e.what();
  }
  FAIL("parsed without a ScheduleError");
  return {};
}

const std::string valid_tail = R"(
[sample]
name = "bar 1"
state = "as_cast"
[instruments.stage]
[[step]]
kind = "hold"
temperature_K = 300
duration_s = 60
)";

}  // namespace

TEST_CASE("fuzz regression: a Greek letter in a table header reached TOML_UNREACHABLE in toml++") {
  const std::string path = std::string(GLASSLAB_SOURCE_DIR) +
                           "/fuzz/regressions/schedule/greek_letter_in_table_header_toml_unreachable.toml";
  CHECK(schedule_error_of(read_text(path), "crash.toml") ==
        "crash.toml:4:4: TOML syntax: 'γ' (U+03B3) outside a quoted string or a comment "
        "(keys, numbers and booleans are ASCII in TOML)");
}

TEST_CASE("non-ASCII outside strings and comments is named with its line, column and code point") {
  CHECK(schedule_error_of("[schedule]\ntitle = \"t\"\ntemp°_K = 3\n") ==
        "f.toml:3:5: TOML syntax: '°' (U+00B0) outside a quoted string or a comment "
        "(keys, numbers and booleans are ASCII in TOML)");
  CHECK(schedule_error_of("a = 1 µ\n").find("f.toml:1:7: TOML syntax: 'µ' (U+00B5)") == 0);
  CHECK(schedule_error_of("a = 1 \xff\n").find("f.toml:1:7: TOML syntax: a byte that is not UTF-8 outside") == 0);
}

TEST_CASE("after a backslash in a multi-line string (toml++ issue 190) the character is refused with a hint") {
  CHECK(schedule_error_of("s = \"\"\"\\\n\xc2\xa7\"\"\"\n") ==
        "f.toml:2:1: TOML syntax: '§' (U+00A7) first on a line continued by a backslash in a multi-line "
        "string; write it as \\u00A7");
  CHECK(schedule_error_of("s = \"\"\"a\\é\"\"\"\n").find("f.toml:1:10: TOML syntax: 'é' (U+00E9) right after a "
                                                       "backslash in a multi-line string") == 0);
}

TEST_CASE("non-ASCII text inside strings and comments still reads") {
  const std::string text = "# Vit105 at 600 °C, γ relaxation\n[schedule]\ntitle = \"γ study, 5 K/min\" # °C\n"
                           "operator = 'Zoë'\n" +
                           valid_tail +
                           "label = \"\"\"μ \\\"quoted\\\" \\\n   ok, \\\\ é\"\"\"\n"
                           "[step.xrd]\n";
  CAPTURE(text);
  const Schedule schedule = parse_schedule(text + "period_s = 12\nexposure_s = 12\n" +
                                               "[instruments.trigger]\n[instruments.detector]\nwatch_dir = \"/tmp/é\"\n",
                                           "ok.toml");
  CHECK(schedule.title == "γ study, 5 K/min");
  CHECK(schedule.operator_name == "Zoë");
  REQUIRE(schedule.steps.size() == 1);
  CHECK(schedule.steps[0].label == "μ \"quoted\" ok, \\ é");
  CHECK(schedule.instruments.detector->watch_dir == "/tmp/é");
}

TEST_CASE("strings with quotes around their delimiters do not hide what follows them") {
  // """a"""" is the string a" (two quotes may end the content); the 'é' after it is outside.
  CHECK(schedule_error_of("s = \"\"\"a\"\"\"\" é\n").find("f.toml:1:14: TOML syntax: 'é' (U+00E9) outside") == 0);
  CHECK(schedule_error_of("s = ''''a'''' é\n").find("f.toml:1:15: TOML syntax: 'é' (U+00E9) outside") == 0);
  CHECK(schedule_error_of("s = \"a\\\"\" é\n").find("f.toml:1:11: TOML syntax: 'é' (U+00E9) outside") == 0);
  CHECK(schedule_error_of("s = \"\" é\n").find("f.toml:1:8: TOML syntax: 'é' (U+00E9) outside") == 0);
}

TEST_CASE("fuzz regression: a hold of 1e300 s with frames cast a count beyond int in the plan") {
  const std::string path =
      std::string(GLASSLAB_SOURCE_DIR) + "/fuzz/regressions/schedule/hold_1e300_s_with_xrd_frames_overflowed_int.toml";
  const Schedule schedule = parse_schedule(read_text(path), "long.toml");
  const Plan plan = make_plan(schedule);
  REQUIRE(plan.steps.size() == 1);
  CHECK(plan.steps[0].expected_frames == std::numeric_limits<int>::max());  // saturates
  CHECK(plan.total_frames == std::numeric_limits<int>::max());
  CHECK(format_hms(1e300) == "1e+300 s");  // was lround() of 1e300: a negative h:mm:ss
  CHECK(format_plan(plan).find("total: 1e+300 s (1e+300 s) over 1 steps") != std::string::npos);
  CHECK(format_hms(5680.4) == "1:34:40");
}

TEST_CASE("fuzz regression: a quote inside a bare value starts no string for toml++") {
  // `max_K = 773.a5mx1..._rate"tcp:127.0<U+FEFD>...`: toml++ reads the whole run as one bare value and
  // asks of each character whether it ends the value; the quote there begins nothing.
  const std::string path =
      std::string(GLASSLAB_SOURCE_DIR) + "/fuzz/regressions/schedule/quote_inside_a_bare_value_toml_unreachable.toml";
  CHECK(schedule_error_of(read_text(path), "q.toml").find("q.toml:2:38: TOML syntax: '\xEF\xBB\xBD' (U+FEFD) outside") == 0);
  CHECK(schedule_error_of("a = 1\"é\"\n").find("f.toml:1:7: TOML syntax: 'é' (U+00E9) outside") == 0);
  CHECK(schedule_error_of("a = x\"é\"\n").find("f.toml:1:7: TOML syntax: 'é' (U+00E9) outside") == 0);
  CHECK(schedule_error_of("a = [1, \"x\" \"é\"]\n").find("f.toml:1:14: TOML syntax: 'é' (U+00E9) outside") == 0);
  CHECK(schedule_error_of("a = 1.\"é\"\n").find("f.toml:1:8: TOML syntax: 'é' (U+00E9) outside") == 0);
}

TEST_CASE("strings where keys and values start keep any text") {
  const std::string text = R"([schedule]
title = "t"
"quoted key é" = 1
a."b é".c = { "d é" = "e é", f = ["g é", 'h é', """i é""", '''j é'''], k = { l = "m é" } }
arr = [
  # comment é
  "n é", # comment é
  [ "o é" ],
]
[ "table é" . sub ]
x = "p é"
)";
  // Only the schedule's own keys are unknown: no TOML syntax error, so every string was read as one.
  const std::string errors = schedule_error_of(text);
  CHECK(errors.find("TOML syntax") == std::string::npos);
  CHECK(errors.find("quoted key é: unknown key") != std::string::npos);
}
