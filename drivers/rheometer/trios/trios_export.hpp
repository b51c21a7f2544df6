#pragma once
// Reading TRIOS exports from a real DHR-3 (/work/shared/reference/rheometer-dma.md, "TRIOS
// 'Export to LIMS' text" and "JSON export"): the tab-separated LIMS text with [Step] blocks, and
// the JSON export (TRIOSJSONExportSchema: Procedure.Steps[].ResultsMapping into Results, whose
// ColumnHeaders carry DisplayName/ValueType/Unit and whose Rows hold the values).
//
// Columns are matched by meaning, not by one spelling: English, German and French display names,
// localised JSON keys such as `Temperatur_°C`, and their units (°C → K, rad/s → Hz, kPa/MPa/GPa →
// Pa, g.cm → N·m, ...). Empty cells are allowed; a row that lacks a required value is skipped with
// a warning. Errors name the file, the line (text) or row (JSON) and the column.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/rheometer/protocol.hpp"

namespace glasslab::rheometer::trios {

/// One oscillation point in SI units (the DMA point the run store records).
struct TriosPoint {
  double T_K = 0;
  double frequency_Hz = 0;
  double storage_Pa = 0;
  double loss_Pa = 0;
  double tan_delta = 0;
  double strain_pct = 0;      ///< 0 when the export has no strain column or the cell is empty
  double force_N = 0;         ///< axial / oscillation force; 0 when absent
  double torque_Nm = 0;       ///< oscillation torque; 0 when absent
  Mode mode = Mode::torsion;
  std::optional<double> time_s;          ///< run time (s) when present
  std::optional<std::int64_t> utc_ns;    ///< "Date and time", converted with the file's UTC offset
  std::string step;                      ///< the [Step] / procedure step it belongs to
  std::size_t source_line = 0;           ///< text: 1-based line; JSON: 0-based row in Results.Rows
};

struct TriosExport {
  std::string source;              ///< file name for messages
  std::string format;              ///< "lims-text" or "json"
  std::string sample_name;
  std::string procedure_name;
  std::string instrument;          ///< e.g. "DHR-3 5343-0501" when the export names it
  std::optional<std::int64_t> run_start_utc_ns;
  Mode mode = Mode::torsion;
  bool mode_known = false;         ///< false: no geometry/columns said which mode; torsion assumed
  std::vector<TriosPoint> points;
  std::vector<std::string> warnings;  ///< skipped rows, guessed mode, ... (for the run's events)
};

struct ParseOptions {
  /// Offset of the TRIOS PC's local time from UTC (minutes); local dates are converted with it.
  int utc_offset_minutes = 0;
  /// Forces the mode when the export does not say (e.g. a LIMS export without geometry).
  std::optional<Mode> mode;
};

TriosExport parse_lims_text(std::string_view text, const std::string& source, const ParseOptions& options = {});
TriosExport parse_json_export(std::string_view text, const std::string& source, const ParseOptions& options = {});
/// Reads a file and picks the parser from its content ('{' → JSON, '[' → LIMS text).
TriosExport read_export(const std::filesystem::path& path, const ParseOptions& options = {});

}  // namespace glasslab::rheometer::trios
