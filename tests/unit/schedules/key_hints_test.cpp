// Unit names in keys, the closest-key suggestion and the wrong-unit message.
#include <doctest/doctest.h>

#include "schedules/key_hints.hpp"

using namespace glasslab::schedules;

TEST_CASE("split_unit finds the unit suffix") {
  CHECK(split_unit("temperature_K")->stem == "temperature");
  CHECK(split_unit("approach_rate_K_per_min")->unit == "K_per_min");
  CHECK(split_unit("approach_rate_K_per_min")->stem == "approach_rate");
  CHECK(split_unit("min_rate_K_per_min")->stem == "min_rate");
  CHECK(split_unit("duration_min")->unit == "min");
  CHECK(split_unit("frequencies_Hz")->unit == "Hz");
  CHECK(split_unit("tolerance_heating_K")->stem == "tolerance_heating");
  CHECK_FALSE(split_unit("frame_count").has_value());
  CHECK_FALSE(split_unit("delay_cycles").has_value());
  CHECK_FALSE(split_unit("kind").has_value());
}

TEST_CASE("convert_unit converts within a quantity only") {
  CHECK(*convert_unit(-196, "C", "K") == doctest::Approx(77.15));
  CHECK(*convert_unit(32, "F", "K") == doctest::Approx(273.15));
  CHECK(*convert_unit(5, "min", "s") == doctest::Approx(300));
  CHECK(*convert_unit(0.5, "K_per_s", "K_per_min") == doctest::Approx(30));
  CHECK(*convert_unit(10, "C_per_min", "K_per_min") == doctest::Approx(10));  // a difference: no offset
  CHECK(*convert_unit(1, "kHz", "Hz") == doctest::Approx(1000));
  CHECK_FALSE(convert_unit(1, "s", "K").has_value());
  CHECK(describe_unit("K_per_min") == "kelvin per minute");
}

TEST_CASE("closest_key suggests typos, not unrelated words") {
  const std::vector<std::string> known{"temperature_K", "duration_s", "approach_rate_K_per_min", "label"};
  CHECK(closest_key("temprature_K", known) == "temperature_K");
  CHECK(closest_key("tempreature_K", known) == "temperature_K");
  CHECK(closest_key("Duration_s", known) == "duration_s");
  CHECK(closest_key("colour", known) == "");
  CHECK(edit_distance("ab", "ba") == 1);
  CHECK(edit_distance("kitten", "sitting") == 3);
}

TEST_CASE("unit_mismatch names the expected key and the value to write") {
  const std::vector<std::string> known{"temperature_K", "duration_s", "rate_K_per_min"};
  auto c = unit_mismatch("temperature_C", known, -180.0);
  REQUIRE(c);
  CHECK(c->expected_key == "temperature_K");
  CHECK(c->message ==
        "wrong unit C (degrees Celsius), expected kelvin: write temperature_K = 93.15 (glasslab never converts units)");
  auto bare = unit_mismatch("duration", known, 5.0);
  REQUIRE(bare);
  CHECK(bare->message.find("missing unit, expected seconds: write duration_s") == 0);
  CHECK_FALSE(unit_mismatch("temperature_K", known, 1.0).has_value());
  CHECK_FALSE(unit_mismatch("colour_K", known, 1.0).has_value());
}
