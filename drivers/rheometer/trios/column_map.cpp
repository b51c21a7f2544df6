#include "drivers/rheometer/trios/column_map.hpp"

#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace glasslab::rheometer::trios {

namespace {
constexpr std::size_t quantity_count = static_cast<std::size_t>(Quantity::date_time) + 1;
}  // namespace

ColumnMap::ColumnMap(const std::vector<std::pair<std::string, std::string>>& columns) : columns_(quantity_count) {
  for (std::size_t i = 0; i < columns.size(); ++i) {
    const auto& [name, unit] = columns[i];
    const auto meaning = classify_column(name, unit);
    if (!meaning) continue;
    auto& slot = columns_[static_cast<std::size_t>(meaning->quantity)];
    if (!slot) slot = MappedColumn{i, unit.empty() ? name : name + " [" + unit + "]", *meaning};
  }
}

std::string ColumnMap::missing_required() const {
  std::string missing;
  auto need = [&](bool present, const char* what) {
    if (present) return;
    if (!missing.empty()) missing += ", ";
    missing += what;
  };
  need(column(Quantity::temperature).has_value(), "temperature");
  need(column(Quantity::frequency) || column(Quantity::angular_frequency), "frequency");
  need(column(Quantity::storage_modulus).has_value(), "storage modulus");
  need(column(Quantity::loss_modulus).has_value(), "loss modulus");
  return missing;
}

std::optional<Mode> ColumnMap::mode_from_columns() const {
  if (column(Quantity::torque)) return Mode::torsion;
  if (column(Quantity::oscillation_force)) return Mode::bending;
  return std::nullopt;
}

std::optional<TriosPoint> ColumnMap::build(const NumberCell& number, std::string& skipped_reason) const {
  auto value = [&](Quantity q) -> std::optional<double> {
    const auto& c = column(q);
    if (!c) return std::nullopt;
    const auto raw = number(*c);
    if (!raw) return std::nullopt;
    const double si = *raw * c->meaning.scale + c->meaning.offset;
    if (!std::isfinite(si))
      throw std::invalid_argument(fmt::format("column '{}': {} is out of range in SI units", c->label, *raw));
    return si;
  };
  TriosPoint p;
  const auto T = value(Quantity::temperature);
  // Frequency in Hz preferred; else the angular frequency converted (rad/s → Hz).
  auto f = value(Quantity::frequency);
  if (!f) f = value(Quantity::angular_frequency);
  const auto storage = value(Quantity::storage_modulus);
  const auto loss = value(Quantity::loss_modulus);
  if (!T || !f || !storage || !loss) {
    skipped_reason = !T ? "temperature" : !f ? "frequency" : !storage ? "storage modulus" : "loss modulus";
    skipped_reason += " is empty";
    return std::nullopt;
  }
  p.T_K = *T;
  p.frequency_Hz = *f;
  p.storage_Pa = *storage;
  p.loss_Pa = *loss;
  const auto tan_delta = value(Quantity::tan_delta);
  p.tan_delta = tan_delta ? *tan_delta : (p.storage_Pa != 0 ? p.loss_Pa / p.storage_Pa : 0.0);
  p.strain_pct = value(Quantity::strain).value_or(0.0);
  p.torque_Nm = value(Quantity::torque).value_or(0.0);
  // Bending: the oscillation force; torsion: the static axial force.
  if (auto force = value(Quantity::oscillation_force)) p.force_N = *force;
  else p.force_N = value(Quantity::axial_force).value_or(0.0);
  p.time_s = value(Quantity::run_time);
  return p;
}

std::optional<Mode> mode_from_text(std::string_view text) {
  const std::string key = normalise_name(text);
  if (key.find("torsion") != std::string::npos) return Mode::torsion;  // en/de/fr alike
  for (const char* bending : {"bending", "3point", "threepoint", "biegung", "flexion", "3pb"}) {
    if (key.find(bending) != std::string::npos) return Mode::bending;
  }
  return std::nullopt;
}

}  // namespace glasslab::rheometer::trios
