#pragma once
// The dashboard's HTTP API (docs/dashboard.md, "HTTP API") as plain functions from a request's
// target (and, for control, its body and token) to a status and a JSON body. They run on the
// server's worker threads, never on the network thread; the sessions only carry bytes.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "acquisition/records.hpp"
#include "dashboard/api/run_queries.hpp"

namespace glasslab::dashboard {

struct ApiResponse {
  unsigned status = 200;
  nlohmann::json body;
};

struct ParsedTarget {
  std::vector<std::string> segments;  ///< "/api/runs/3/stage" -> {"api", "runs", "3", "stage"}
  std::map<std::string, std::string> query;
  /// The query parameter as an integer, `fallback` when absent; throws std::invalid_argument when not a number.
  long long integer(const std::string& name, long long fallback) const;
};

/// Splits path and query and percent-decodes them; "/.." segments are refused by the caller.
ParsedTarget parse_target(std::string_view target);

/// GET /api/runs, /api/runs/{id}, .../events, .../stage, .../dma, .../seq, .../arrhenius.
ApiResponse handle_api_get(RunQueries& queries, const ParsedTarget& target);

/// POST /api/runs/{id}/control with body {"action": "pause"|"resume"|"abort"} and the header
/// "Authorization: Bearer <token>". Records the request in the run store for the run's process
/// and waits up to `wait_ms` for its verdict. 200 accepted, 202 still pending, 400 bad body,
/// 401 no token, 403 wrong token, 404 no run, 409 refused (run ended, or the run said no).
ApiResponse handle_control_post(const std::string& db_path, acquisition::RunId run, std::string_view body,
                                std::string_view authorization, const std::string& peer, int wait_ms = 3000);

}  // namespace glasslab::dashboard
