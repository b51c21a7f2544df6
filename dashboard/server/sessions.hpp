#pragma once
// The dashboard's connections (Boost.Beast): HttpSession reads requests on one TCP connection
// and answers them (keep-alive), handing API work to the worker pools; a request for
// /api/runs/{id}/live that asks for a WebSocket becomes a LiveSocket, which sends the run's new
// rows and changes at every tick (dashboard/api/live_feed.hpp).
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "dashboard/api/live_feed.hpp"
#include "dashboard/server/server_context.hpp"

namespace glasslab::dashboard {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
using tcp = boost::asio::ip::tcp;

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

class HttpSession : public std::enable_shared_from_this<HttpSession> {
public:
  HttpSession(tcp::socket&& socket, std::shared_ptr<const ServerContext> context);
  void start();

private:
  void read_next();
  void on_read(beast::error_code ec, std::size_t bytes);
  void route(Request request);
  void answer_api_get(const Request& request);
  void answer_control(const Request& request);
  void send(Response response);
  void on_write(bool close, beast::error_code ec, std::size_t bytes);

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<const ServerContext> context_;
  std::string peer_;  ///< "127.0.0.1:51234": the origin of control requests
  std::shared_ptr<Response> pending_;
};

class LiveSocket : public std::enable_shared_from_this<LiveSocket> {
public:
  LiveSocket(tcp::socket&& socket, std::shared_ptr<const ServerContext> context, RunId run, LiveCursor cursor);
  void start(Request upgrade);

private:
  void read_until_closed();
  void schedule_tick();
  void tick();
  void send(std::string message);

  websocket::stream<beast::tcp_stream> socket_;
  std::shared_ptr<const ServerContext> context_;
  RunId run_;
  LiveCursor cursor_;
  boost::asio::steady_timer timer_;
  beast::flat_buffer incoming_;
  std::string outgoing_;
  bool closed_ = false;
};

/// A response with the dashboard's headers (no caching for the API, no sniffing, same-origin).
Response make_response(unsigned status, std::string body, std::string_view content_type, const Request& request);

}  // namespace glasslab::dashboard
