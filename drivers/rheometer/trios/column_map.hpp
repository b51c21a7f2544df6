#pragma once
// Shared by the LIMS-text and JSON parsers: which column holds which quantity, and turning one
// row of cells into a TriosPoint. Internal to drivers/rheometer/trios/.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "drivers/rheometer/trios/columns.hpp"
#include "drivers/rheometer/trios/trios_export.hpp"

namespace glasslab::rheometer::trios {

struct MappedColumn {
  std::size_t index = 0;
  std::string label;  ///< as written in the file, for messages
  ColumnMeaning meaning;
};

class ColumnMap {
public:
  /// Columns as (display name, unit) in file order; the first column of each quantity wins.
  explicit ColumnMap(const std::vector<std::pair<std::string, std::string>>& columns);

  /// Empty when temperature, frequency, storage and loss modulus are all present; otherwise
  /// the list of what is missing ("temperature, frequency").
  std::string missing_required() const;
  const std::optional<MappedColumn>& column(Quantity q) const { return columns_[static_cast<std::size_t>(q)]; }
  /// Evidence about the mode from the columns (torque → torsion, oscillation force → bending).
  std::optional<Mode> mode_from_columns() const;

  /// Reads a number cell of a column (nullopt when empty); throws ProtocolError with context.
  using NumberCell = std::function<std::optional<double>(const MappedColumn&)>;
  /// Builds the point of one row; nullopt (with `skipped_reason` set) when a required cell is empty.
  /// Throws std::invalid_argument naming the column when a value is not finite in SI units
  /// (1e305 GPa); the caller adds file and line.
  std::optional<TriosPoint> build(const NumberCell& number, std::string& skipped_reason) const;

private:
  std::vector<std::optional<MappedColumn>> columns_;
};

/// "torsion"/"bending" evidence in free text such as geometry or procedure names (en/de/fr).
std::optional<Mode> mode_from_text(std::string_view text);

}  // namespace glasslab::rheometer::trios
