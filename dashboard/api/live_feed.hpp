#pragma once
// What a live dashboard socket sends (docs/dashboard.md, "Live updates"): at every tick, the
// rows recorded since the client's cursors and whatever changed (control status, exit status,
// Seq and heat flow, Arrhenius fits), as one JSON message, or nothing when nothing changed.
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "dashboard/api/run_queries.hpp"

namespace glasslab::dashboard {

struct LiveCursor {
  std::int64_t stage = 0;   ///< last stage_readings rowid the client has
  std::int64_t events = 0;
  std::int64_t dma = 0;
  std::int64_t seq_version = -1;   ///< -1: not known yet, the first tick sends the curve
  std::int64_t fits_version = -1;
  std::string control_text;        ///< the control status last sent
  std::string exit_status;         ///< the exit status last sent
  bool streams_closed = false;     ///< the run has ended and its last rows were sent
};

/// The update for this tick, or nullopt when nothing changed; advances the cursor.
/// `max_rows` caps each stream per message (the rest follows at the next tick).
std::optional<nlohmann::json> live_update(RunQueries& queries, RunId run, LiveCursor& cursor, int max_rows = 5000);

}  // namespace glasslab::dashboard
