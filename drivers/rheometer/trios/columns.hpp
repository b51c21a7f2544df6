#pragma once
// What a TRIOS column means, whatever language TRIOS was set to. Used by both export parsers.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace glasslab::rheometer::trios {

enum class Quantity {
  temperature,        ///< → K
  frequency,          ///< → Hz
  angular_frequency,  ///< → Hz (divided by 2π)
  storage_modulus,    ///< → Pa
  loss_modulus,       ///< → Pa
  tan_delta,
  strain,             ///< → %
  axial_force,        ///< → N (static axial force)
  oscillation_force,  ///< → N (bending)
  torque,             ///< → N·m
  run_time,           ///< → s
  date_time,          ///< text, parsed separately
};

/// A recognised column: which quantity, and how to turn a cell into SI units (value·scale+offset).
struct ColumnMeaning {
  Quantity quantity;
  double scale = 1.0;
  double offset = 0.0;
};

/// Lower-case, accents and Greek δ folded, everything but letters and digits removed:
/// "Température" → "temperature", "Tan(δ)" → "tandelta", "Oscillation strain (cmd)" → "oscillationstraincmd".
std::string normalise_name(std::string_view name);

/// Matches a display name and unit (either may be localised) to a quantity. Returns nullopt for
/// columns glasslab does not record, and for a known name with a unit it cannot convert.
std::optional<ColumnMeaning> classify_column(std::string_view display_name, std::string_view unit);

/// Splits a JSON column key such as "Temperatur_°C" into ("Temperatur", "°C"); no '_' → no unit.
std::pair<std::string, std::string> split_json_key(std::string_view key);

/// Parses a number cell: C locale, or decimal comma ("149,98"); empty → nullopt; bad, NaN or
/// infinite → throws std::invalid_argument (the caller adds file/line/column).
std::optional<double> parse_cell_number(std::string_view cell);

/// Order of the date fields in a column of local dates, inferred from all its cells.
enum class DateOrder { month_first, day_first, iso };
DateOrder infer_date_order(const std::vector<std::string_view>& cells);
/// "6/26/2023 1:43:31 PM", "26.06.2023 13:43:31", "26/06/2023 13:43", "2023-01-09T09:27:17.5194584Z".
/// Local times are shifted by utc_offset_minutes (within ±24 h); ISO with Z/offset is taken as given.
/// Returns nullopt for an empty cell; throws std::invalid_argument for a malformed one, naming the
/// field: years outside 1900..2200, a day the month does not have, hour 24, ... (dates.cpp).
std::optional<std::int64_t> parse_date_time_utc_ns(std::string_view cell, DateOrder order, int utc_offset_minutes);

}  // namespace glasslab::rheometer::trios
