#include "dashboard/server/sessions.hpp"

#include <algorithm>

#include <boost/asio/post.hpp>
#include <fmt/format.h>

#include "dashboard/server/api_routes.hpp"
#include "dashboard/server/assets.hpp"

namespace glasslab::dashboard {

namespace {

namespace net = boost::asio;

constexpr auto kIdleTimeout = std::chrono::seconds(60);
constexpr std::size_t kBodyLimit = 64 * 1024;  // control requests are a few bytes

/// Boost 1.74's beast::string_view is boost::string_view.
std::string_view view(beast::string_view text) { return {text.data(), text.size()}; }

std::string json_error(const std::string& message) { return nlohmann::json{{"error", message}}.dump(); }

bool host_allowed(const ServerContext& context, const Request& request) {
  if (context.allowed_hosts.empty()) return true;
  const auto host = request[http::field::host];
  return std::find(context.allowed_hosts.begin(), context.allowed_hosts.end(), std::string(host)) !=
         context.allowed_hosts.end();
}

/// "/api/runs/7/live" -> 7 for a WebSocket request, nullopt for anything else.
std::optional<RunId> live_run(const ParsedTarget& target) {
  const auto& s = target.segments;
  if (s.size() != 4 || s[0] != "api" || s[1] != "runs" || s[3] != "live") return std::nullopt;
  try {
    const long long id = std::stoll(s[2]);
    if (id > 0) return id;
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

}  // namespace

Response make_response(unsigned status, std::string body, std::string_view content_type, const Request& request) {
  Response response{static_cast<http::status>(status), request.version()};
  response.set(http::field::server, "glasslab");
  response.set(http::field::content_type, beast::string_view(content_type.data(), content_type.size()));
  response.set(http::field::cache_control, "no-store");
  response.set("X-Content-Type-Options", "nosniff");
  response.set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:");
  response.keep_alive(request.keep_alive());
  response.body() = request.method() == http::verb::head ? std::string() : std::move(body);
  response.prepare_payload();
  return response;
}

// ---------------------------------------------------------------------------------------------
// HttpSession

HttpSession::HttpSession(tcp::socket&& socket, std::shared_ptr<const ServerContext> context)
    : stream_(std::move(socket)), context_(std::move(context)) {
  beast::error_code ec;
  const auto remote = stream_.socket().remote_endpoint(ec);
  peer_ = ec ? "unknown" : fmt::format("{}:{}", remote.address().to_string(), remote.port());
}

void HttpSession::start() { read_next(); }

void HttpSession::read_next() {
  parser_.emplace();
  parser_->body_limit(kBodyLimit);
  stream_.expires_after(kIdleTimeout);
  http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&HttpSession::on_read, shared_from_this()));
}

void HttpSession::on_read(beast::error_code ec, std::size_t) {
  if (ec) {  // closed by the peer, timed out, or a malformed request: drop the connection
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    return;
  }
  route(parser_->release());
}

void HttpSession::route(Request request) {
  if (!host_allowed(*context_, request))
    return send(make_response(421, json_error("this server answers only to its own address"), "application/json", request));
  const std::string target(request.target());
  if (target.find("..") != std::string::npos)
    return send(make_response(400, json_error("bad path"), "application/json", request));
  const ParsedTarget parsed = parse_target(target);
  if (websocket::is_upgrade(request)) {
    const auto run = live_run(parsed);
    if (!run) return send(make_response(404, json_error("WebSocket only at /api/runs/{id}/live"), "application/json", request));
    LiveCursor cursor;
    try {
      cursor.stage = parsed.integer("stage", 0);
      cursor.events = parsed.integer("events", 0);
      cursor.dma = parsed.integer("dma", 0);
      cursor.seq_version = parsed.integer("seq", -1);
      cursor.fits_version = parsed.integer("fits", -1);
    } catch (const std::invalid_argument& e) {
      return send(make_response(400, json_error(e.what()), "application/json", request));
    }
    std::make_shared<LiveSocket>(stream_.release_socket(), context_, *run, cursor)->start(std::move(request));
    return;
  }
  const bool is_api = !parsed.segments.empty() && parsed.segments[0] == "api";
  if (request.method() == http::verb::post && is_api) return answer_control(request);
  if (request.method() != http::verb::get && request.method() != http::verb::head)
    return send(make_response(405, json_error("only GET, HEAD, and POST of a control request"), "application/json", request));
  if (is_api) return answer_api_get(request);
  const auto path = target.substr(0, target.find('?'));
  if (const Asset* asset = find_asset(path == "/index.html" ? "/" : path))
    return send(make_response(200, std::string(asset->body), asset->content_type, request));
  send(make_response(404, "not found\n", "text/plain; charset=utf-8", request));
}

void HttpSession::answer_api_get(const Request& request) {
  auto self = shared_from_this();
  net::post(context_->readers, [self, request] {
    Response response;
    try {
      const ApiResponse answer = handle_api_get(queries_for(self->context_->db_path), parse_target(view(request.target())));
      response = make_response(answer.status, answer.body.dump(), "application/json", request);
    } catch (const std::exception& e) {
      response = make_response(500, json_error(e.what()), "application/json", request);
    }
    net::post(self->context_->network, [self, response = std::move(response)]() mutable { self->send(std::move(response)); });
  });
}

void HttpSession::answer_control(const Request& request) {
  const ParsedTarget parsed = parse_target(view(request.target()));
  const auto& s = parsed.segments;
  RunId run = 0;
  try {
    if (s.size() == 4 && s[1] == "runs" && s[3] == "control") run = std::stoll(s[2]);
  } catch (const std::exception&) {
  }
  if (run <= 0) return send(make_response(404, json_error("POST only to /api/runs/{id}/control"), "application/json", request));
  if (request[http::field::content_type].find("application/json") == std::string_view::npos)
    return send(make_response(415, json_error("a control request is JSON (Content-Type: application/json)"),
                              "application/json", request));
  auto self = shared_from_this();
  net::post(context_->controllers, [self, request, run] {
    Response response;
    try {
      const ApiResponse answer = handle_control_post(self->context_->db_path, run, request.body(),
                                                     view(request[http::field::authorization]), self->peer_);
      response = make_response(answer.status, answer.body.dump(), "application/json", request);
      if (answer.status == 401) response.set(http::field::www_authenticate, "Bearer realm=\"glasslab run control\"");
    } catch (const std::exception& e) {
      response = make_response(500, json_error(e.what()), "application/json", request);
    }
    net::post(self->context_->network, [self, response = std::move(response)]() mutable { self->send(std::move(response)); });
  });
}

void HttpSession::send(Response response) {
  pending_ = std::make_shared<Response>(std::move(response));
  const bool close = pending_->need_eof();
  http::async_write(stream_, *pending_, beast::bind_front_handler(&HttpSession::on_write, shared_from_this(), close));
}

void HttpSession::on_write(bool close, beast::error_code ec, std::size_t) {
  pending_.reset();
  if (ec) return;
  if (close) {
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    return;
  }
  read_next();
}

// ---------------------------------------------------------------------------------------------
// LiveSocket

LiveSocket::LiveSocket(tcp::socket&& socket, std::shared_ptr<const ServerContext> context, RunId run, LiveCursor cursor)
    : socket_(std::move(socket)), context_(std::move(context)), run_(run), cursor_(std::move(cursor)),
      timer_(socket_.get_executor()) {}

void LiveSocket::start(Request upgrade) {
  beast::get_lowest_layer(socket_).expires_never();
  socket_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  socket_.text(true);
  socket_.async_accept(upgrade, [self = shared_from_this()](beast::error_code ec) {
    if (ec) return;
    self->read_until_closed();
    self->tick();
  });
}

void LiveSocket::read_until_closed() {
  // The page sends nothing; reading is how a close (or a vanished peer) is noticed.
  socket_.async_read(incoming_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
    if (ec) {
      self->closed_ = true;
      self->timer_.cancel();
      return;
    }
    self->incoming_.clear();
    self->read_until_closed();
  });
}

void LiveSocket::schedule_tick() {
  if (closed_) return;
  timer_.expires_after(context_->live_interval);
  timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (!ec && !self->closed_) self->tick();
  });
}

void LiveSocket::tick() {
  auto self = shared_from_this();
  net::post(context_->readers, [self] {
    std::string message;
    try {
      if (auto update = live_update(queries_for(self->context_->db_path), self->run_, self->cursor_))
        message = update->dump();
    } catch (const std::exception& e) {
      message = nlohmann::json{{"type", "error"}, {"error", e.what()}}.dump();
    }
    net::post(self->context_->network, [self, message = std::move(message)]() mutable {
      if (message.empty()) return self->schedule_tick();
      self->send(std::move(message));
    });
  });
}

void LiveSocket::send(std::string message) {
  if (closed_) return;
  outgoing_ = std::move(message);
  socket_.async_write(boost::asio::buffer(outgoing_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
    if (ec) {
      self->closed_ = true;
      return;
    }
    self->schedule_tick();
  });
}

}  // namespace glasslab::dashboard
