#include "schedules/key_hints.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>

#include <fmt/format.h>

namespace glasslab::schedules {
namespace {

enum class Quantity { temperature, time, rate, frequency, fraction, force, mass, unknown };

struct UnitInfo {
  std::string_view name;
  Quantity quantity;
  std::string_view description;
  double scale;   ///< value in the quantity's base unit = value * scale + offset
  double offset;  ///< base units: K, s, K/s, Hz, percent, N, g
};

// Temperature offsets: °C + 273.15 = K; °F: (F - 32) * 5/9 + 273.15 = F * 5/9 + 255.372...
constexpr std::array<UnitInfo, 26> kUnits{{
    {"K", Quantity::temperature, "kelvin", 1, 0},
    {"mK", Quantity::temperature, "millikelvin", 1e-3, 0},
    {"C", Quantity::temperature, "degrees Celsius", 1, 273.15},
    {"degC", Quantity::temperature, "degrees Celsius", 1, 273.15},
    {"celsius", Quantity::temperature, "degrees Celsius", 1, 273.15},
    {"F", Quantity::temperature, "degrees Fahrenheit", 5.0 / 9.0, 273.15 - 32 * 5.0 / 9.0},
    {"s", Quantity::time, "seconds", 1, 0},
    {"sec", Quantity::time, "seconds", 1, 0},
    {"ms", Quantity::time, "milliseconds", 1e-3, 0},
    {"us", Quantity::time, "microseconds", 1e-6, 0},
    {"min", Quantity::time, "minutes", 60, 0},
    {"h", Quantity::time, "hours", 3600, 0},
    {"hr", Quantity::time, "hours", 3600, 0},
    {"Hz", Quantity::frequency, "hertz", 1, 0},
    {"kHz", Quantity::frequency, "kilohertz", 1e3, 0},
    {"mHz", Quantity::frequency, "millihertz", 1e-3, 0},
    {"rad_per_s", Quantity::frequency, "radians per second", 1 / (2 * M_PI), 0},
    {"pct", Quantity::fraction, "percent", 1, 0},
    {"percent", Quantity::fraction, "percent", 1, 0},
    {"N", Quantity::force, "newtons", 1, 0},
    {"mN", Quantity::force, "millinewtons", 1e-3, 0},
    {"kN", Quantity::force, "kilonewtons", 1e3, 0},
    {"g", Quantity::mass, "grams", 1, 0},
    {"mg", Quantity::mass, "milligrams", 1e-3, 0},
    {"kg", Quantity::mass, "kilograms", 1e3, 0},
    {"hz", Quantity::frequency, "hertz", 1, 0},
}};

const UnitInfo* find_simple_unit(std::string_view name) {
  for (const auto& u : kUnits)
    if (u.name == name) return &u;
  return nullptr;
}

/// A rate "<temperature>_per_<time>": only temperature over time is a rate in a schedule.
struct RateUnit {
  const UnitInfo* temperature;
  const UnitInfo* time;
};

std::optional<RateUnit> find_rate_unit(std::string_view name) {
  const auto split = name.find("_per_");
  if (split == std::string_view::npos) return std::nullopt;
  const UnitInfo* t = find_simple_unit(name.substr(0, split));
  const UnitInfo* dt = find_simple_unit(name.substr(split + 5));
  if (!t || !dt || t->quantity != Quantity::temperature || dt->quantity != Quantity::time) return std::nullopt;
  return RateUnit{t, dt};
}

bool is_unit(std::string_view name) { return find_simple_unit(name) || find_rate_unit(name); }

Quantity quantity_of(std::string_view unit) {
  if (find_rate_unit(unit)) return Quantity::rate;
  if (const UnitInfo* u = find_simple_unit(unit)) return u->quantity;
  return Quantity::unknown;
}

/// Value in the base unit of its quantity (K, s, K/s, Hz, %, N, g).
std::optional<double> to_base(double value, std::string_view unit) {
  if (auto rate = find_rate_unit(unit)) return value * rate->temperature->scale / rate->time->scale;  // no offset for a difference
  if (const UnitInfo* u = find_simple_unit(unit)) return value * u->scale + u->offset;
  return std::nullopt;
}

std::optional<double> from_base(double base, std::string_view unit) {
  if (auto rate = find_rate_unit(unit)) return base * rate->time->scale / rate->temperature->scale;
  if (const UnitInfo* u = find_simple_unit(unit)) return (base - u->offset) / u->scale;
  return std::nullopt;
}

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

}  // namespace

std::optional<KeyUnit> split_unit(std::string_view key) {
  // The first '_' after which the rest is a unit: "min_rate_K_per_min" -> "min_rate" + "K_per_min".
  for (std::size_t pos = key.find('_'); pos != std::string_view::npos; pos = key.find('_', pos + 1)) {
    const std::string_view rest = key.substr(pos + 1);
    if (is_unit(rest)) return KeyUnit{std::string(key.substr(0, pos)), std::string(rest)};
  }
  return std::nullopt;
}

std::string describe_unit(std::string_view unit) {
  if (auto rate = find_rate_unit(unit)) {
    std::string time(rate->time->description);
    if (!time.empty() && time.back() == 's') time.pop_back();  // "per minute", not "per minutes"
    return fmt::format("{} per {}", rate->temperature->description, time);
  }
  if (const UnitInfo* u = find_simple_unit(unit)) return std::string(u->description);
  return std::string(unit);
}

std::optional<double> convert_unit(double value, std::string_view from, std::string_view to) {
  if (quantity_of(from) != quantity_of(to) || quantity_of(from) == Quantity::unknown) return std::nullopt;
  const auto base = to_base(value, from);
  if (!base) return std::nullopt;
  return from_base(*base, to);
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) && lower(a[i - 2]) == lower(b[j - 1]))
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);  // transposition: "tempreature"
    }
  }
  return d[n][m];
}

std::string closest_key(std::string_view key, const std::vector<std::string>& known) {
  std::string best;
  std::size_t best_distance = std::string::npos;
  for (const auto& candidate : known) {
    const std::size_t distance = edit_distance(key, candidate);
    if (distance < best_distance) {
      best_distance = distance;
      best = candidate;
    }
  }
  // A typo changes a few characters; more than a third of the word is a different word.
  const std::size_t allowed = std::max<std::size_t>(2, key.size() / 3);
  return best_distance <= allowed ? best : std::string();
}

std::optional<UnitMismatch> unit_mismatch(std::string_view key, const std::vector<std::string>& known,
                                          std::optional<double> value) {
  const auto given = split_unit(key);
  for (const auto& candidate : known) {
    const auto expected = split_unit(candidate);
    if (!expected) continue;
    const std::string_view given_stem = given ? std::string_view(given->stem) : key;
    if (given_stem != expected->stem) continue;
    if (given && given->unit == expected->unit) continue;  // same key after all
    const std::string expected_description = describe_unit(expected->unit);
    std::string message;
    if (!given) {
      message = fmt::format("missing unit, expected {}: write {}", expected_description, candidate);
    } else {
      message = fmt::format("wrong unit {} ({}), expected {}: write {}", given->unit, describe_unit(given->unit),
                            expected_description, candidate);
      if (value) {
        if (auto converted = convert_unit(*value, given->unit, expected->unit))
          message += fmt::format(" = {:.6g}", *converted);
      }
    }
    message += " (glasslab never converts units)";
    return UnitMismatch{candidate, message};
  }
  return std::nullopt;
}

}  // namespace glasslab::schedules
