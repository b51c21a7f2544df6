#pragma once
// TRIOS exports from the real DHR-3 into the run store as DMA runs (`glasslab import trios`):
// one export file = one run, its points in the dma stream like a dry run's, so the same
// analysis and `glasslab export RUN --stream dma` serve both.
#include <cstdint>
#include <string>
#include <vector>

#include "acquisition/records.hpp"
#include "acquisition/store/run_store.hpp"
#include "core/clock.hpp"
#include "drivers/rheometer/trios/trios_export.hpp"

namespace glasslab::acquisition::dma {

/// The export's points as DmaPoint records. UTC: the row's date, else the run start plus the
/// row's run time; monotonic time: start_mono_ns plus the same offset from the run start.
std::vector<DmaPoint> to_dma_points(const rheometer::trios::TriosExport& export_data, std::int64_t start_mono_ns,
                                    std::int64_t start_utc_ns);

/// The run's start row: the file as "schedule", sample and source as JSON.
RunStart run_start_for(const rheometer::trios::TriosExport& export_data, std::int64_t start_mono_ns,
                       std::int64_t start_utc_ns, const std::string& software_version);

struct ImportedRun {
  RunId run = 0;
  std::size_t points = 0;
  std::size_t warnings = 0;
};

/// begin_run, every point, the parser's warnings as events, end_run (success).
ImportedRun store_trios_export(const rheometer::trios::TriosExport& export_data, RunStore& store, const Clock& clock,
                               const std::string& software_version);

}  // namespace glasslab::acquisition::dma
