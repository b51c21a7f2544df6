// drivers/rheometer/trios: inputs libFuzzer found (fuzz/regressions/trios_*; docs/fuzzing.md), run
// through the same parsers under the normal build. Each was a crash, undefined behaviour or an
// untyped exception before its fix; each must now be a ProtocolError naming file, place and value.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>

#include "drivers/rheometer/trios/columns.hpp"
#include "drivers/rheometer/trios/trios_export.hpp"

using namespace glasslab;
using namespace glasslab::rheometer::trios;

namespace {

std::string regression(const std::string& target, const std::string& name) {
  const auto path = std::filesystem::path(GLASSLAB_SOURCE_DIR) / "fuzz/regressions" / target / name;
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot open ", path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string protocol_error_of(const std::function<void()>& parse) {
  try {
    parse();
  } catch (const ProtocolError& e) {
    return e.what();
  }
  FAIL("parsed without a ProtocolError");
  return {};
}

std::string date_error_of(std::string_view cell, DateOrder order, int utc_offset_minutes = 0) {
  try {
    parse_date_time_utc_ns(cell, order, utc_offset_minutes);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  FAIL("date '", cell, "' parsed");
  return {};
}

}  // namespace

TEST_CASE("fuzz regression: an ISO date in year 7143 overflowed int64 nanoseconds (JSON)") {
  const std::string text = regression("trios_json", "iso_date_year_7143_overflowed_int64.json");
  CHECK(protocol_error_of([&] { parse_json_export(text, "crash.json"); }) ==
        "crash.json: Results.Rows[3]: column 'Datum und Uhrzeit': date '7143-03-05T22:11:32.47+01:00': "
        "year 7143 is outside 1900..2200");
}

TEST_CASE("fuzz regression: a local date in year 4025 overflowed int64 nanoseconds (LIMS text)") {
  const std::string text = regression("trios_lims", "local_date_year_4025_overflowed_int64.txt");
  CHECK(protocol_error_of([&] { parse_lims_text(text, "crash.txt"); }) ==
        "crash.txt:15: column 'Date and time': date '26/06/4025 13:43:31': year 4025 is outside 1900..2200");
}

TEST_CASE("fuzz regression: a JSON number beyond double escaped as nlohmann out_of_range") {
  const std::string text = regression("trios_json", "number_1e3085_escaped_as_out_of_range");
  const std::string message = protocol_error_of([&] { parse_json_export(text, "n.json"); });
  CHECK(message.find("n.json: not valid JSON:") == 0);
  CHECK(message.find("number overflow parsing '1e3085'") != std::string::npos);
}

// Found by feeding the JSON target hand-written inputs where the fuzzer had not reached
// (Procedure.Steps[].ResultsMapping): nlohmann's value() threw type_error, start + count overflowed.
TEST_CASE("fuzz regression: a malformed ResultsMapping is a ProtocolError naming the step") {
  CHECK(protocol_error_of([] {
          parse_json_export(regression("trios_json", "results_mapping_not_an_object_type_error.json"), "m.json");
        }) == "m.json: Procedure.Steps[0].ResultsMapping is not an object: 5");
  CHECK(protocol_error_of([] {
          parse_json_export(regression("trios_json", "results_mapping_string_index_type_error.json"), "m.json");
        }) == "m.json: Procedure.Steps[0].ResultsMapping.StartIndex is not an integer: \"x\"");
  CHECK(protocol_error_of([] {
          parse_json_export(regression("trios_json", "results_mapping_count_1e300_float_cast.json"), "m.json");
        }) == "m.json: Procedure.Steps[0].ResultsMapping.Count is not an integer: 1e+300");
}

TEST_CASE("fuzz regression: StartIndex + Count beyond int64 maps no row instead of overflowing") {
  const auto e = parse_json_export(regression("trios_json", "results_mapping_start_plus_count_overflow.json"), "m.json");
  REQUIRE(e.points.size() == 1);
  CHECK(e.points[0].step.empty());
  const std::string negative_start =
      R"({"Procedure":{"Steps":[{"Name":"ramp","ResultsMapping":{"StartIndex":-9223372036854775807,"Count":9223372036854775807}}]},)"
      R"("Results":{"ColumnHeaders":{"T":{"DisplayName":"Temperature","Unit":{"Name":"K"}},"f":{"DisplayName":"Frequency"},)"
      R"("a":{"DisplayName":"Storage modulus"},"b":{"DisplayName":"Loss modulus"}},"Rows":[{"T":300,"f":1,"a":1,"b":1}]}})";
  CHECK(parse_json_export(negative_start, "m.json").points[0].step.empty());  // the mapping ends before row 0
}

TEST_CASE("date fields are checked against the calendar before any arithmetic") {
  // Each of these overflowed, wrapped or silently moved the date before the fix.
  CHECK(date_error_of("31.02.2023 10:00", DateOrder::day_first) == "date '31.02.2023 10:00': day 31 is outside 1..28");
  CHECK(date_error_of("2024-02-30", DateOrder::iso) == "date '2024-02-30': day 30 is outside 1..29");
  CHECK(date_error_of("26/06/2023 24:00", DateOrder::day_first) == "date '26/06/2023 24:00': hour 24 is outside 0..23");
  CHECK(date_error_of("26/06/2023 -1:00", DateOrder::day_first) ==
        "date '26/06/2023 -1:00': hour '-1' is not a number");
  CHECK(date_error_of("26/06/2023 13:43:31.-5", DateOrder::day_first) ==
        "date '26/06/2023 13:43:31.-5': fraction of a second '-5' is not a number");
  CHECK(date_error_of("26/06/2023 2147483647:00", DateOrder::day_first) ==
        "date '26/06/2023 2147483647:00': hour '2147483647' is not a number");
  CHECK(date_error_of("2023-01-09T09:27:00+0:", DateOrder::iso) ==
        "date '2023-01-09T09:27:00+0:': offset hours '0:' is not a number");
  CHECK(date_error_of("26/06/2023 10:00", DateOrder::day_first, 1'000'000) ==
        "UTC offset 1000000 min is outside ±24 h");
  CHECK(date_error_of("6/26/2023 1:43:31 PM", DateOrder::iso) ==
        "date '6/26/2023 1:43:31 PM': expected an ISO 8601 date, YYYY-MM-DD");
}

TEST_CASE("dates the fix must keep reading") {
  constexpr std::int64_t s = 1'000'000'000;
  constexpr std::int64_t june26_2023 = 19534LL * 86400 * s;
  CHECK(*parse_date_time_utc_ns("2024-02-29", DateOrder::iso, 0) == 19782LL * 86400 * s);  // leap day
  CHECK(*parse_date_time_utc_ns("26/06/23 13:43", DateOrder::day_first, 0) == june26_2023 + (13 * 3600 + 43 * 60) * s);
  CHECK(*parse_date_time_utc_ns("2023-06-26 13:43:31.123456789123Z", DateOrder::iso, 0) ==
        june26_2023 + (13 * 3600 + 43 * 60 + 31) * s + 123'456'789);
  CHECK(*parse_date_time_utc_ns("2023-06-26T14:43:31+0100", DateOrder::iso, 0) == june26_2023 + (13 * 3600 + 43 * 60 + 31) * s);
  CHECK(*parse_date_time_utc_ns("2023-06-26T08:13:31-05:30", DateOrder::iso, 0) == june26_2023 + (13 * 3600 + 43 * 60 + 31) * s);
  // A short offset was read with substr() past the end: std::out_of_range escaped the parser.
  CHECK(*parse_date_time_utc_ns("2023-06-26T14:43:31+1", DateOrder::iso, 0) == june26_2023 + (13 * 3600 + 43 * 60 + 31) * s);
}

// The targets' invariant "every value is finite in SI units" refused these (docs/fuzzing.md).
TEST_CASE("fuzz regression: a nan cell and a value infinite once in SI units are errors naming the column") {
  CHECK(protocol_error_of([] { parse_lims_text(regression("trios_lims", "temperature_nan_accepted.txt"), "n.txt"); }) ==
        "n.txt:4: column 'Temperature [K]': 'nan' is not a finite number");
  CHECK(protocol_error_of([] {
          parse_lims_text(regression("trios_lims", "storage_1e305_GPa_infinite_in_Pa.txt"), "g.txt");
        }) == "g.txt:4: column 'Storage modulus [GPa]': 1e+305 is out of range in SI units");
  const std::string json =
      R"({"Results":{"ColumnHeaders":{"T":{"DisplayName":"Temperature","Unit":{"Name":"K"}},"f":{"DisplayName":"Frequency"},)"
      R"("a":{"DisplayName":"Storage modulus","Unit":{"Name":"GPa"}},"b":{"DisplayName":"Loss modulus"}},)"
      R"("Rows":[{"T":300,"f":1,"a":1e300,"b":1},{"T":"inf","f":1,"a":1,"b":1}]}})";
  CHECK(protocol_error_of([&] { parse_json_export(json, "j.json"); }) ==
        "j.json: Results.Rows[0]: column 'Storage modulus [GPa]': 1e+300 is out of range in SI units");
}
