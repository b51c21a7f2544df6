#include "dashboard/api/live_feed.hpp"

namespace glasslab::dashboard {

namespace {

/// Puts a stream's new rows into the message; true when there were any.
bool take_rows(nlohmann::json& message, const char* name, nlohmann::json&& page, std::int64_t& cursor) {
  if (page["rows"].empty()) return false;
  cursor = page["last"].get<std::int64_t>();
  message[name] = std::move(page["rows"]);
  return true;
}

}  // namespace

std::optional<nlohmann::json> live_update(RunQueries& q, RunId run, LiveCursor& cursor, int max_rows) {
  const auto exit_status = q.exit_status(run);
  if (!exit_status) return nlohmann::json{{"type", "error"}, {"error", "no such run"}};
  nlohmann::json message{{"type", "update"}};
  bool changed = false;
  if (!cursor.streams_closed) {
    // After the run has ended, one more pass picks up the rows committed with its stop row.
    const bool ended = *exit_status != "running";
    changed |= take_rows(message, "stage", q.stage_after(run, cursor.stage, max_rows), cursor.stage);
    changed |= take_rows(message, "events", q.events_after(run, cursor.events, max_rows), cursor.events);
    changed |= take_rows(message, "dma", q.dma_after(run, cursor.dma, max_rows), cursor.dma);
    if (const auto v = q.seq_version(run); v != cursor.seq_version) {
      message["seq"] = q.seq(run);
      cursor.seq_version = v;
      changed = true;
    }
    if (const auto v = q.fits_version(run); v != cursor.fits_version) {
      message["arrhenius"] = q.arrhenius(run);
      cursor.fits_version = v;
      changed = true;
    }
    cursor.streams_closed = ended && !changed;
  }
  nlohmann::json control = q.control_status(run);
  control.erase("status_age_s");  // changes at every tick; the page ages the status itself
  if (std::string text = control.dump(); text != cursor.control_text) {
    cursor.control_text = std::move(text);
    message["control"] = std::move(control);
    changed = true;
  }
  if (*exit_status != cursor.exit_status) {
    cursor.exit_status = *exit_status;
    message["exit_status"] = *exit_status;
    changed = true;
  }
  if (!changed) return std::nullopt;
  message["cursors"] = {{"stage", cursor.stage}, {"events", cursor.events}, {"dma", cursor.dma}};
  return message;
}

}  // namespace glasslab::dashboard
