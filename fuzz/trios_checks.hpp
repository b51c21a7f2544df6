#pragma once
// Invariants of a parsed TRIOS export, shared by the LIMS-text and JSON fuzz targets: a parse that
// returns holds at least one point, every value in SI units is finite, and every point carries the
// export's mode (drivers/rheometer/trios/trios_export.hpp).
#include <cmath>

#include "drivers/rheometer/trios/trios_export.hpp"
#include "fuzz/fuzz_support.hpp"

namespace glasslab::fuzz {

inline void check_trios_export(const rheometer::trios::TriosExport& exported) {
  require(!exported.points.empty(), "a parsed export has points");
  for (const auto& p : exported.points) {
    for (double value : {p.T_K, p.frequency_Hz, p.storage_Pa, p.loss_Pa, p.tan_delta, p.strain_pct, p.force_N,
                         p.torque_Nm})
      require(std::isfinite(value), "point values are finite");
    if (p.time_s) require(std::isfinite(*p.time_s), "run time is finite");
    require(p.mode == exported.mode, "every point carries the export's mode");
  }
  require(exported.warnings.size() <= 24, "warnings are capped (20 rows + summaries)");
}

/// The options glasslab import passes: none, and a UTC offset with a forced mode.
template <typename Parse>
void check_trios_parser(std::string_view text, Parse&& parse) {
  rheometer::trios::ParseOptions shifted;
  shifted.utc_offset_minutes = -330;
  shifted.mode = rheometer::Mode::bending;
  for (const auto& options : {rheometer::trios::ParseOptions{}, shifted})
    parse_or_typed_error(ErrorCategory::protocol, [&] { check_trios_export(parse(text, "fuzz-input", options)); });
}

}  // namespace glasslab::fuzz
