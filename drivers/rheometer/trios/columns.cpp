#include "drivers/rheometer/trios/columns.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <numbers>
#include <stdexcept>
#include <utility>

namespace glasslab::rheometer::trios {

namespace {

// Two-byte UTF-8 letters that appear in TRIOS's German and French column names, folded to ASCII.
struct Fold {
  unsigned char lead, trail;
  const char* ascii;
};
constexpr std::array<Fold, 24> folds{{
    {0xC3, 0xA0, "a"}, {0xC3, 0xA2, "a"}, {0xC3, 0xA4, "a"}, {0xC3, 0x84, "a"}, {0xC3, 0xA7, "c"},
    {0xC3, 0xA8, "e"}, {0xC3, 0xA9, "e"}, {0xC3, 0xAA, "e"}, {0xC3, 0xAB, "e"}, {0xC3, 0x89, "e"},
    {0xC3, 0xAE, "i"}, {0xC3, 0xAF, "i"}, {0xC3, 0xB4, "o"}, {0xC3, 0xB6, "o"}, {0xC3, 0x96, "o"},
    {0xC3, 0xB9, "u"}, {0xC3, 0xBB, "u"}, {0xC3, 0xBC, "u"}, {0xC3, 0x9C, "u"}, {0xC3, 0x9F, "ss"},
    {0xCE, 0xB4, "delta"}, {0xCE, 0x94, "delta"}, {0xC2, 0xB5, "u"}, {0xCE, 0xBC, "u"},
}};

struct Name {
  const char* normalised;
  Quantity quantity;
};
// English (TRIOS default), German and French display names, normalised (see normalise_name).
constexpr std::array<Name, 50> names{{
    {"temperature", Quantity::temperature}, {"temperatur", Quantity::temperature},
    {"probentemperatur", Quantity::temperature}, {"temperatura", Quantity::temperature},
    {"frequency", Quantity::frequency}, {"frequenz", Quantity::frequency}, {"frequence", Quantity::frequency},
    {"oscillationfrequency", Quantity::frequency}, {"oszillationsfrequenz", Quantity::frequency},
    {"angularfrequency", Quantity::angular_frequency}, {"kreisfrequenz", Quantity::angular_frequency},
    {"winkelfrequenz", Quantity::angular_frequency}, {"frequenceangulaire", Quantity::angular_frequency},
    {"pulsation", Quantity::angular_frequency},
    {"storagemodulus", Quantity::storage_modulus}, {"speichermodul", Quantity::storage_modulus},
    {"moduledeconservation", Quantity::storage_modulus}, {"moduleelastique", Quantity::storage_modulus},
    {"lossmodulus", Quantity::loss_modulus}, {"verlustmodul", Quantity::loss_modulus},
    {"moduledeperte", Quantity::loss_modulus}, {"modulevisqueux", Quantity::loss_modulus},
    {"tandelta", Quantity::tan_delta}, {"verlustfaktor", Quantity::tan_delta},
    {"tangentedeperte", Quantity::tan_delta}, {"facteurdeperte", Quantity::tan_delta},
    {"oscillationstrain", Quantity::strain}, {"oszillationsdehnung", Quantity::strain},
    {"oszillationdehnung", Quantity::strain}, {"deformationdoscillation", Quantity::strain},
    {"deformationoscillation", Quantity::strain}, {"strain", Quantity::strain},
    {"axialforce", Quantity::axial_force}, {"axialkraft", Quantity::axial_force},
    {"normalkraft", Quantity::axial_force}, {"forceaxiale", Quantity::axial_force},
    {"oscillationforce", Quantity::oscillation_force}, {"oszillationskraft", Quantity::oscillation_force},
    {"forcedoscillation", Quantity::oscillation_force},
    {"oscillationtorque", Quantity::torque}, {"oszillationsdrehmoment", Quantity::torque},
    {"coupledoscillation", Quantity::torque},
    {"runtime", Quantity::run_time}, {"laufzeit", Quantity::run_time}, {"tempsdexecution", Quantity::run_time},
    {"tempsdessai", Quantity::run_time},
    {"dateandtime", Quantity::date_time}, {"datumunduhrzeit", Quantity::date_time},
    {"dateetheure", Quantity::date_time}, {"datumuhrzeit", Quantity::date_time},
}};

// Unit spelling with spaces removed, '·' → '.', 'µ' → 'u', '°' dropped; case kept (MPa ≠ mPa).
std::string normalise_unit(std::string_view unit) {
  std::string out;
  for (std::size_t i = 0; i < unit.size(); ++i) {
    const auto c = static_cast<unsigned char>(unit[i]);
    if (c == ' ' || c == '\t' || c == '[' || c == ']') continue;
    if (i + 1 < unit.size()) {
      const auto d = static_cast<unsigned char>(unit[i + 1]);
      if (c == 0xC2 && d == 0xB0) { ++i; continue; }                // °
      if (c == 0xC2 && d == 0xB7) { out += '.'; ++i; continue; }    // ·
      if ((c == 0xC2 && d == 0xB5) || (c == 0xCE && d == 0xBC)) { out += 'u'; ++i; continue; }  // µ μ
    }
    out += static_cast<char>(c);
  }
  return out;
}

std::optional<ColumnMeaning> unit_for(Quantity q, const std::string& u) {
  auto m = [q](double scale, double offset = 0.0) { return std::optional<ColumnMeaning>(ColumnMeaning{q, scale, offset}); };
  switch (q) {
    case Quantity::temperature:
      if (u.empty() || u == "C" || u == "degC") return m(1.0, 273.15);  // reference: "°C, not K"
      if (u == "K") return m(1.0);
      if (u == "F") return m(5.0 / 9.0, 273.15 - 32.0 * 5.0 / 9.0);
      return std::nullopt;
    case Quantity::frequency:
      if (u.empty() || u == "Hz") return m(1.0);
      if (u == "kHz") return m(1e3);
      if (u == "rad/s") return m(0.5 / std::numbers::pi);
      return std::nullopt;
    case Quantity::angular_frequency:
      if (u.empty() || u == "rad/s") return m(0.5 / std::numbers::pi);  // ω = 2πf
      if (u == "Hz") return m(1.0);
      return std::nullopt;
    case Quantity::storage_modulus:
    case Quantity::loss_modulus:
      if (u.empty() || u == "Pa") return m(1.0);
      if (u == "kPa") return m(1e3);
      if (u == "MPa") return m(1e6);
      if (u == "GPa") return m(1e9);
      return std::nullopt;
    case Quantity::tan_delta: return m(1.0);
    case Quantity::strain:
      if (u.empty() || u == "%") return m(1.0);
      if (u == "mm/mm" || u == "1") return m(100.0);
      return std::nullopt;
    case Quantity::axial_force:
    case Quantity::oscillation_force:
      if (u.empty() || u == "N") return m(1.0);
      if (u == "mN") return m(1e-3);
      if (u == "g") return m(9.80665e-3);  // TRIOS gives axial force in gram-force ("80.0 g")
      if (u == "kg") return m(9.80665);
      return std::nullopt;
    case Quantity::torque:
      if (u.empty() || u == "N.m" || u == "Nm") return m(1.0);
      if (u == "mN.m" || u == "mNm") return m(1e-3);
      if (u == "uN.m" || u == "uNm") return m(1e-6);
      if (u == "g.cm") return m(9.80665e-5);  // gram-force centimetre, as in the LIMS example
      return std::nullopt;
    case Quantity::run_time:
      if (u.empty() || u == "s") return m(1.0);
      if (u == "min") return m(60.0);
      if (u == "h") return m(3600.0);
      if (u == "ms") return m(1e-3);
      return std::nullopt;
    case Quantity::date_time: return m(1.0);
  }
  return std::nullopt;
}

}  // namespace

std::string normalise_name(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (std::size_t i = 0; i < name.size(); ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (c >= 0x80 && i + 1 < name.size()) {
      const auto d = static_cast<unsigned char>(name[i + 1]);
      for (const auto& f : folds) {
        if (f.lead == c && f.trail == d) {
          out += f.ascii;
          break;
        }
      }
      ++i;  // other two-byte letters are dropped
      continue;
    }
    if (std::isalnum(c)) out += static_cast<char>(std::tolower(c));
  }
  return out;
}

std::optional<ColumnMeaning> classify_column(std::string_view display_name, std::string_view unit) {
  const std::string key = normalise_name(display_name);
  for (const auto& name : names) {
    if (key == name.normalised) return unit_for(name.quantity, normalise_unit(unit));
  }
  return std::nullopt;
}

std::pair<std::string, std::string> split_json_key(std::string_view key) {
  const auto underscore = key.rfind('_');
  if (underscore == std::string_view::npos) return {std::string(key), std::string()};
  return {std::string(key.substr(0, underscore)), std::string(key.substr(underscore + 1))};
}

std::optional<double> parse_cell_number(std::string_view cell) {
  while (!cell.empty() && (cell.front() == ' ' || cell.front() == '"')) cell.remove_prefix(1);
  while (!cell.empty() && (cell.back() == ' ' || cell.back() == '"' || cell.back() == '\r')) cell.remove_suffix(1);
  if (cell.empty()) return std::nullopt;
  double value = 0;
  auto [ptr, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
  bool parsed = ec == std::errc() && ptr == cell.data() + cell.size();
  // Localised exports (de, fr) write a decimal comma: "149,98".
  if (!parsed && cell.find(',') != std::string_view::npos && cell.find('.') == std::string_view::npos) {
    std::string dotted(cell);
    for (char& c : dotted) if (c == ',') c = '.';
    auto [p2, e2] = std::from_chars(dotted.data(), dotted.data() + dotted.size(), value);
    parsed = e2 == std::errc() && p2 == dotted.data() + dotted.size();
  }
  if (!parsed) throw std::invalid_argument("'" + std::string(cell) + "' is not a number");
  // from_chars reads "nan" and "inf" too: not a measured value (fuzz/regressions/trios_lims/).
  if (!std::isfinite(value)) throw std::invalid_argument("'" + std::string(cell) + "' is not a finite number");
  return value;
}

}  // namespace glasslab::rheometer::trios
