// Date and time cells of TRIOS exports → UTC nanoseconds (declared in columns.hpp). TRIOS writes
// the PC's local time in its locale ("6/26/2023 1:43:31 PM", "26.06.2023 13:43:31") in LIMS text,
// and ISO 8601 with Z or an offset in JSON.
//
// Every field is checked against its calendar range before any arithmetic: a damaged cell is a
// clear error naming the field, never a date shifted into another month or an overflowed
// nanosecond count (fuzz/regressions/trios_*: years like 99999 overflowed int64 before).
#include <charconv>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "drivers/rheometer/trios/columns.hpp"

namespace glasslab::rheometer::trios {

namespace {

constexpr std::int64_t second_ns = 1'000'000'000;
constexpr std::int64_t hour_ns = 3600 * second_ns;
// Years a measurement can carry. The bounds also keep every result far inside int64
// nanoseconds since 1970 (about 1677..2262).
constexpr int min_year = 1900;
constexpr int max_year = 2200;
constexpr int max_utc_offset_minutes = 24 * 60;

[[noreturn]] void bad_cell(std::string_view cell, const std::string& why) {
  throw std::invalid_argument(fmt::format("date '{}': {}", cell, why));
}

/// A field of plain decimal digits (no sign, no spaces) within lo..hi.
int field(std::string_view text, int lo, int hi, const char* what, std::string_view cell) {
  int value = 0;
  const bool digits_only = !text.empty() && text.size() <= 9 &&
                           text.find_first_not_of("0123456789") == std::string_view::npos;
  if (!digits_only || std::from_chars(text.data(), text.data() + text.size(), value).ec != std::errc())
    bad_cell(cell, fmt::format("{} '{}' is not a number", what, text));
  if (value < lo || value > hi) bad_cell(cell, fmt::format("{} {} is outside {}..{}", what, value, lo, hi));
  return value;
}

bool is_leap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int days_in_month(int year, int month) {
  constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap(year) ? 29 : days[month - 1];
}

// Days since 1970-01-01 of a civil date (H. Hinnant's algorithm), for a checked date.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::int64_t date_ns(int year, std::string_view month_text, std::string_view day_text, std::string_view cell) {
  const int month = field(month_text, 1, 12, "month", cell);
  const int day = field(day_text, 1, days_in_month(year, month), "day", cell);
  return days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 24 * hour_ns;
}

std::vector<std::string_view> split_any(std::string_view text, std::string_view separators) {
  std::vector<std::string_view> parts;
  for (std::size_t begin = 0;;) {
    const auto end = text.find_first_of(separators, begin);
    parts.push_back(text.substr(begin, end == std::string_view::npos ? std::string_view::npos : end - begin));
    if (end == std::string_view::npos) return parts;
    begin = end + 1;
  }
}

// "13:43:31.52" → nanoseconds since midnight; a fraction beyond nanoseconds is cut.
std::int64_t time_of_day_ns(std::string_view time, std::string_view cell) {
  const auto parts = split_any(time, ":");
  if (parts.size() < 2 || parts.size() > 3) bad_cell(cell, fmt::format("time '{}' is not H:MM[:SS]", time));
  std::int64_t ns = field(parts[0], 0, 23, "hour", cell) * hour_ns + field(parts[1], 0, 59, "minute", cell) * 60 * second_ns;
  if (parts.size() == 3) {
    const auto dot = parts[2].find_first_of(".,");
    ns += field(parts[2].substr(0, dot), 0, 60, "second", cell) * second_ns;  // 60: a leap second
    if (dot != std::string_view::npos) {
      const std::string_view fraction = parts[2].substr(dot + 1);
      std::string nanoseconds(fraction.substr(0, 9));
      nanoseconds.resize(9, '0');
      if (fraction.find_first_not_of("0123456789") != std::string_view::npos)
        bad_cell(cell, fmt::format("fraction of a second '{}' is not a number", fraction));
      ns += field(nanoseconds, 0, 999'999'999, "fraction of a second", cell);
    }
  }
  return ns;
}

bool looks_iso(std::string_view cell) { return cell.size() >= 10 && cell[4] == '-' && cell[7] == '-'; }

// "2023-06-26", "2023-06-26T13:43:31.5Z", "2023-06-26 15:43:31+02:00"; no zone: local time.
std::int64_t iso_utc_ns(std::string_view cell, std::int64_t local_offset_ns) {
  const int year = field(cell.substr(0, 4), min_year, max_year, "year", cell);
  const std::int64_t day_ns = date_ns(year, cell.substr(5, 2), cell.substr(8, 2), cell);
  std::string_view time = cell.substr(10);
  if (time.empty()) return day_ns - local_offset_ns;
  if (time.front() != 'T' && time.front() != ' ') bad_cell(cell, "expected 'T' or a space after the date");
  time.remove_prefix(1);
  std::int64_t offset_ns = local_offset_ns;
  if (!time.empty() && time.back() == 'Z') {
    time.remove_suffix(1);
    offset_ns = 0;
  } else if (const auto sign = time.find_first_of("+-"); sign != std::string_view::npos) {
    // ±HH:MM, ±HHMM or ±HH
    std::string_view zone = time.substr(sign + 1);
    const std::string_view hours = zone.substr(0, 2);
    zone.remove_prefix(hours.size());
    if (!zone.empty() && zone.front() == ':') zone.remove_prefix(1);
    const int minutes = zone.empty() ? 0 : field(zone, 0, 59, "offset minutes", cell);
    offset_ns = (field(hours, 0, 23, "offset hours", cell) * 60LL + minutes) * 60 * second_ns;
    if (time[sign] == '-') offset_ns = -offset_ns;
    time = time.substr(0, sign);
  }
  return day_ns + time_of_day_ns(time, cell) - offset_ns;
}

// "6/26/2023 1:43:31 PM", "26.06.2023 13:43:31", "26/06/23 13:43": local time, in `order`.
std::int64_t local_utc_ns(std::string_view cell, DateOrder order, std::int64_t local_offset_ns) {
  const auto space = cell.find(' ');
  const auto date = split_any(cell.substr(0, space), "/.-");
  if (date.size() != 3) bad_cell(cell, "expected day, month and year");
  int year = field(date[2], 0, 9999, "year", cell);
  if (date[2].size() <= 2) year += 2000;  // "26/06/23"
  if (year < min_year || year > max_year)
    bad_cell(cell, fmt::format("year {} is outside {}..{}", year, min_year, max_year));
  const bool month_first = order == DateOrder::month_first;
  std::int64_t ns = date_ns(year, date[month_first ? 0 : 1], date[month_first ? 1 : 0], cell);
  if (space == std::string_view::npos) return ns - local_offset_ns;
  std::string_view time = cell.substr(space + 1);
  int am_pm = 0;  // 1 = AM, 2 = PM
  if (time.size() > 3 && (time.ends_with("AM") || time.ends_with("PM"))) {
    am_pm = time.ends_with("AM") ? 1 : 2;
    time.remove_suffix(2);
    while (!time.empty() && time.back() == ' ') time.remove_suffix(1);
  }
  std::int64_t time_ns = time_of_day_ns(time, cell);
  if (am_pm == 1 && time_ns >= 12 * hour_ns) time_ns -= 12 * hour_ns;  // 12:xx AM is just after midnight
  if (am_pm == 2 && time_ns < 12 * hour_ns) time_ns += 12 * hour_ns;
  return ns + time_ns - local_offset_ns;
}

std::optional<int> whole_number(std::string_view text) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

}  // namespace

DateOrder infer_date_order(const std::vector<std::string_view>& cells) {
  bool saw_am_pm = false, saw_dots = false;
  for (auto cell : cells) {
    if (looks_iso(cell)) return DateOrder::iso;
    const auto fields = split_any(cell.substr(0, cell.find(' ')), "/.-");
    if (fields.size() != 3) continue;
    if (cell.find('.') != std::string_view::npos && cell.find('.') < cell.find(' ')) saw_dots = true;
    const auto first = whole_number(fields[0]), second = whole_number(fields[1]);
    if (!first || !second) continue;
    if (*first > 12) return DateOrder::day_first;
    if (*second > 12) return DateOrder::month_first;
    if (cell.find("AM") != std::string_view::npos || cell.find("PM") != std::string_view::npos) saw_am_pm = true;
  }
  if (saw_dots) return DateOrder::day_first;  // German 26.06.2023
  return saw_am_pm ? DateOrder::month_first : DateOrder::day_first;
}

std::optional<std::int64_t> parse_date_time_utc_ns(std::string_view cell, DateOrder order, int utc_offset_minutes) {
  while (!cell.empty() && cell.front() == ' ') cell.remove_prefix(1);
  while (!cell.empty() && (cell.back() == ' ' || cell.back() == '\r')) cell.remove_suffix(1);
  if (cell.empty()) return std::nullopt;
  if (utc_offset_minutes < -max_utc_offset_minutes || utc_offset_minutes > max_utc_offset_minutes)
    throw std::invalid_argument(fmt::format("UTC offset {} min is outside ±24 h", utc_offset_minutes));
  const std::int64_t local_offset_ns = utc_offset_minutes * 60 * second_ns;
  if (looks_iso(cell)) return iso_utc_ns(cell, local_offset_ns);
  if (order == DateOrder::iso) bad_cell(cell, "expected an ISO 8601 date, YYYY-MM-DD");
  return local_utc_ns(cell, order, local_offset_ns);
}

}  // namespace glasslab::rheometer::trios
