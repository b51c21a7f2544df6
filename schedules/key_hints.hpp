#pragma once
// Helpers that turn a mistyped key into a useful message: the closest known key, and the unit
// written in a key name ("temperature_C") compared with the unit glasslab expects ("temperature_K").
// glasslab never converts units: a wrong unit is an error that says what to write instead.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace glasslab::schedules {

/// A key split into its quantity and unit: "approach_rate_K_per_min" -> {"approach_rate", "K_per_min"}.
struct KeyUnit {
  std::string stem;
  std::string unit;
};

/// Splits off the unit suffix if the key ends in a recognised unit (K, C, degC, F, s, ms, min, h,
/// Hz, kHz, pct, percent, N, mN, mg, g, us, <temperature>_per_<time>, ...); nullopt otherwise.
std::optional<KeyUnit> split_unit(std::string_view key);

/// "K" -> "kelvin", "K_per_min" -> "kelvin per minute", "Hz" -> "hertz"; the unit itself if unknown.
std::string describe_unit(std::string_view unit);

/// Converts value from unit `from` to unit `to` when both measure the same quantity (used only
/// to tell the operator what to write, never to accept the value).
std::optional<double> convert_unit(double value, std::string_view from, std::string_view to);

/// The known key closest to `key` by edit distance (case-insensitive), or "" when none is close
/// enough to be a plausible typo.
std::string closest_key(std::string_view key, const std::vector<std::string>& known);

/// When `key` names a known quantity with another unit (or with none), the known key it should be.
struct UnitMismatch {
  std::string expected_key;  ///< e.g. "temperature_K"
  std::string message;       ///< "wrong unit, expected kelvin: write temperature_K = 298.15 ..."
};
std::optional<UnitMismatch> unit_mismatch(std::string_view key, const std::vector<std::string>& known,
                                          std::optional<double> value);

/// Damerau-Levenshtein (optimal string alignment) distance, case-insensitive.
std::size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace glasslab::schedules
