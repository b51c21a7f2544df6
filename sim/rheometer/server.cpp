#include "sim/rheometer/server.hpp"

#include <array>
#include <deque>
#include <sstream>

#include <fmt/format.h>

#include "core/error.hpp"

namespace glasslab::sim::rheometer {

namespace asio = boost::asio;
using asio::ip::tcp;

// One client connection: lines are answered strictly in order, one at a time.
class RheometerServer::Session : public std::enable_shared_from_this<RheometerServer::Session> {
public:
  Session(RheometerServer& server, tcp::socket socket)
      : server_(server), socket_(std::move(socket)), timer_(socket_.get_executor()) {}

  void start() { read_more(); }

  void close() noexcept {
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    timer_.cancel();
  }

private:
  void read_more() {
    auto self = shared_from_this();
    socket_.async_read_some(asio::buffer(buffer_), [this, self](boost::system::error_code ec, std::size_t n) {
      if (ec) return finish();
      split_lines(std::string_view(buffer_.data(), n));
      process_next();
    });
  }

  void split_lines(std::string_view bytes) {
    for (char c : bytes) {
      if (c == '\n') {
        if (!discarding_) lines_.push_back(std::move(partial_));
        partial_.clear();
        discarding_ = false;
      } else if (!discarding_) {
        partial_ += c;
        if (partial_.size() > SimulatedRheometer::max_line_bytes) {
          lines_.push_back(std::move(partial_));  // the instrument answers "Line too long"
          partial_.clear();
          discarding_ = true;  // and the rest of that line is thrown away
        }
      }
    }
  }

  void process_next() {
    if (lines_.empty()) return read_more();
    if (wait_if_stalled([this] { process_next(); })) return;
    const std::string line = std::move(lines_.front());
    lines_.pop_front();
    std::string reply = server_.instrument_.handle_line(line);
    if (server_.instrument_.take_drop_request()) {
      // Drop mid-reply: the worst case for a client, which must discard the partial reply.
      auto half = std::make_shared<std::string>(reply.substr(0, reply.size() / 2));
      auto self = shared_from_this();
      asio::async_write(socket_, asio::buffer(*half),
                        [this, self, half](boost::system::error_code, std::size_t) { server_.drop_all_connections(); });
      return;
    }
    auto deliver = [this, reply = std::move(reply)]() mutable { write_reply(std::move(reply)); };
    if (wait_if_stalled(deliver)) return;
    deliver();
  }

  // A stalled instrument answers nothing until the stall ends.
  template <typename Continue>
  bool wait_if_stalled(Continue next) {
    const auto until = server_.instrument_.stalled_until();
    if (std::chrono::steady_clock::now() >= until) return false;
    timer_.expires_at(until);
    auto self = shared_from_this();
    timer_.async_wait([self, next = std::move(next)](boost::system::error_code ec) mutable {
      if (!ec) next();
    });
    return true;
  }

  void write_reply(std::string reply) {
    if (reply.empty()) return process_next();
    auto text = std::make_shared<std::string>(std::move(reply));
    auto self = shared_from_this();
    asio::async_write(socket_, asio::buffer(*text), [this, self, text](boost::system::error_code ec, std::size_t) {
      if (ec) return finish();
      process_next();
    });
  }

  void finish() {
    close();
    server_.sessions_.erase(shared_from_this());
    server_.connection_count_ = server_.sessions_.size();
  }

  RheometerServer& server_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  std::array<char, 4096> buffer_{};
  std::string partial_;
  std::deque<std::string> lines_;
  bool discarding_ = false;
};

RheometerServer::RheometerServer(SimulatedRheometer& instrument, const ServerOptions& options)
    : instrument_(instrument), options_(options), work_(asio::make_work_guard(io_)) {
  open_acceptor();
}

RheometerServer::~RheometerServer() { stop(); }

void RheometerServer::open_acceptor() {
  const auto address = asio::ip::make_address(options_.bind_address);
  acceptor_ = std::make_unique<tcp::acceptor>(io_);
  const tcp::endpoint endpoint(address, port_ != 0 ? port_ : options_.port);
  acceptor_->open(endpoint.protocol());
  acceptor_->set_option(tcp::acceptor::reuse_address(true));
  boost::system::error_code ec;
  acceptor_->bind(endpoint, ec);
  if (ec) throw DeviceError(fmt::format("sim rheometer: cannot bind {}:{}: {}", options_.bind_address, endpoint.port(), ec.message()));
  acceptor_->listen();
  port_ = acceptor_->local_endpoint().port();
  accept_next();
}

void RheometerServer::accept_next() {
  acceptor_->async_accept([this](boost::system::error_code ec, tcp::socket socket) {
    if (ec) return;  // acceptor closed (offline or stopping)
    socket.set_option(tcp::no_delay(true));
    auto session = std::make_shared<Session>(*this, std::move(socket));
    sessions_.insert(session);
    connection_count_ = sessions_.size();
    session->start();
    accept_next();
  });
}

void RheometerServer::close_sessions() {
  auto sessions = std::move(sessions_);
  sessions_.clear();
  for (const auto& session : sessions) session->close();
  connection_count_ = 0;
}

void RheometerServer::run() { io_.run(); }

void RheometerServer::start_background() {
  thread_ = std::thread([this] { io_.run(); });
}

void RheometerServer::stop() noexcept {
  try {
    asio::post(io_, [this] {
      boost::system::error_code ignored;
      if (acceptor_) acceptor_->close(ignored);
      close_sessions();
    });
    work_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  } catch (...) {
  }
}

void RheometerServer::drop_all_connections() {
  asio::post(io_, [this] { close_sessions(); });
}

void RheometerServer::set_offline(bool offline) {
  asio::post(io_, [this, offline] {
    if (offline == offline_) return;
    offline_ = offline;
    if (offline) {
      boost::system::error_code ignored;
      acceptor_->close(ignored);
      close_sessions();
    } else {
      open_acceptor();  // same port as before
    }
  });
}

std::string RheometerServer::apply_fault_command(const std::string& line) {
  std::istringstream in(line);
  std::string verb;
  in >> verb;
  auto number = [&](const char* what) {
    double value = 0;
    if (!(in >> value)) throw UsageError(fmt::format("fault '{}': missing {}", line, what));
    return value;
  };
  if (verb == "drop") return drop_all_connections(), "dropping every connection";
  if (verb == "offline") return set_offline(true), "offline: refusing connections";
  if (verb == "online") return set_offline(false), "online: accepting connections";
  if (verb == "stall") {
    const double seconds = number("seconds");
    instrument_.stall_for_wall_s(seconds);
    return fmt::format("stalling for {} s", seconds);
  }
  if (verb == "error") {
    double code = 301;
    in >> code;
    instrument_.inject_instrument_error(static_cast<int>(code));
    return fmt::format("instrument error {}", static_cast<int>(code));
  }
  if (verb == "lose-sample") return instrument_.lose_sample(), "sample lost";
  PendingFault fault;
  if (verb == "drop-at") fault.kind = FaultKind::drop;
  else if (verb == "error-at") fault.kind = FaultKind::instrument_error;
  else if (verb == "lose-sample-at") fault.kind = FaultKind::lose_sample;
  else if (verb == "stall-at") fault.kind = FaultKind::stall;
  else throw UsageError(fmt::format("unknown fault '{}' (drop, stall S, error [CODE], lose-sample, offline, online, "
                                    "drop-at I[@RUN], error-at I[@RUN], lose-sample-at I[@RUN], stall-at I[@RUN] S)", line));
  // "I" fires in the first run that reaches index I; "I@R" only in run R (the R-th START).
  std::string at;
  if (!(in >> at)) throw UsageError(fmt::format("fault '{}': missing point index", line));
  try {
    const auto run_at = at.find('@');
    fault.at_index = std::stoll(at.substr(0, run_at));
    if (run_at != std::string::npos) fault.run_number = std::stoll(at.substr(run_at + 1));
  } catch (const std::exception&) {
    throw UsageError(fmt::format("fault '{}': point index '{}' is not I or I@RUN", line, at));
  }
  if (fault.kind == FaultKind::stall) fault.stall_wall_s = number("seconds");
  instrument_.schedule_fault(fault);
  return fmt::format("{} scheduled at point {}", verb, fault.at_index);
}

}  // namespace glasslab::sim::rheometer
