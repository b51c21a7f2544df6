#include "dashboard/server/api_routes.hpp"

#include <charconv>

#include <fmt/format.h>

#include "acquisition/control/control_bus.hpp"
#include "core/error.hpp"

namespace glasslab::dashboard {

namespace {

namespace control = acquisition::control;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i] == '+' ? ' ' : text[i]);
    }
  }
  return out;
}

ApiResponse error(unsigned status, const std::string& message) { return {status, {{"error", message}}}; }

std::optional<acquisition::RunId> run_id_of(const std::string& text) {
  acquisition::RunId id = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id <= 0) return std::nullopt;
  return id;
}

ApiResponse run_resource(RunQueries& q, acquisition::RunId run, const std::string& what, const ParsedTarget& t) {
  if (what.empty()) {
    auto detail = q.run_detail(run);
    return detail ? ApiResponse{200, *detail} : error(404, fmt::format("no run {}", run));
  }
  if (!q.exit_status(run)) return error(404, fmt::format("no run {}", run));
  const auto limit = static_cast<int>(std::clamp<long long>(t.integer("limit", 100000), 1, 1000000));
  if (what == "events") return {200, q.events_after(run, t.integer("after", 0), limit)};
  if (what == "stage")
    return {200, q.stage_series(run, static_cast<std::size_t>(std::clamp<long long>(t.integer("buckets", 1000), 10, 20000)),
                                t.integer("all", 0) != 0)};
  if (what == "dma") return {200, q.dma_after(run, t.integer("after", 0), limit)};
  if (what == "seq") return {200, q.seq(run)};
  if (what == "arrhenius") return {200, q.arrhenius(run)};
  if (what == "control") return {200, q.control_status(run)};
  return error(404, fmt::format("no resource '{}' of a run", what));
}

}  // namespace

long long ParsedTarget::integer(const std::string& name, long long fallback) const {
  const auto it = query.find(name);
  if (it == query.end() || it->second.empty()) return fallback;
  long long value = 0;
  const auto [end, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), value);
  if (ec != std::errc() || end != it->second.data() + it->second.size())
    throw std::invalid_argument(fmt::format("query parameter {}={} is not an integer", name, it->second));
  return value;
}

ParsedTarget parse_target(std::string_view target) {
  ParsedTarget out;
  const auto question = target.find('?');
  const std::string_view path = target.substr(0, question);
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto slash = path.find('/', start);
    const auto piece = path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (!piece.empty()) out.segments.push_back(percent_decode(piece));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (question == std::string_view::npos) return out;
  std::string_view query = target.substr(question + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    out.query[percent_decode(pair.substr(0, eq))] =
        eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

ApiResponse handle_api_get(RunQueries& q, const ParsedTarget& t) {
  const auto& s = t.segments;
  try {
    if (s.size() == 2 && s[1] == "runs") return {200, q.list_runs()};
    if (s.size() >= 3 && s.size() <= 4 && s[1] == "runs") {
      const auto run = run_id_of(s[2]);
      if (!run) return error(400, fmt::format("'{}' is not a run id", s[2]));
      return run_resource(q, *run, s.size() == 4 ? s[3] : std::string(), t);
    }
  } catch (const std::invalid_argument& e) {
    return error(400, e.what());
  }
  return error(404, "no such API resource");
}

ApiResponse handle_control_post(const std::string& db_path, acquisition::RunId run, std::string_view body,
                                std::string_view authorization, const std::string& peer, int wait_ms) {
  std::optional<control::ControlAction> action;
  try {
    const auto j = nlohmann::json::parse(body);
    if (j.is_object() && j.contains("action") && j["action"].is_string())
      action = control::parse_action(j["action"].get<std::string>());
  } catch (const nlohmann::json::exception&) {
  }
  if (!action) return error(400, R"(the body must be JSON {"action": "pause" | "resume" | "abort"})");
  constexpr std::string_view kBearer = "Bearer ";
  const std::string token(authorization.substr(0, kBearer.size()) == kBearer ? authorization.substr(kBearer.size())
                                                                             : std::string_view());
  const auto submitted = control::submit_control_request(db_path, run, *action, token, {"dashboard", peer});
  nlohmann::json body_json{{"run", run},
                           {"action", std::string(control::to_string(*action))},
                           {"verdict", std::string(control::to_string(submitted.verdict))},
                           {"request_id", submitted.request_id},
                           {"message", submitted.message}};
  switch (submitted.verdict) {
    case control::SubmitVerdict::no_token: return {401, body_json};
    case control::SubmitVerdict::wrong_token: return {403, body_json};
    case control::SubmitVerdict::no_such_run: return {404, body_json};
    case control::SubmitVerdict::not_controllable:
    case control::SubmitVerdict::not_running: return {409, body_json};
    case control::SubmitVerdict::queued: break;
  }
  const auto answer = control::wait_for_request(db_path, submitted.request_id, std::chrono::milliseconds(wait_ms));
  body_json["status"] = answer.status;
  body_json["outcome"] = answer.outcome;
  if (answer.status == "pending") return {202, body_json};
  return {answer.status == "accepted" ? 200u : 409u, body_json};
}

}  // namespace glasslab::dashboard
