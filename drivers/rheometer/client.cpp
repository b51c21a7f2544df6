#include "drivers/rheometer/client.hpp"

#include <algorithm>
#include <thread>

#include <fmt/format.h>

namespace glasslab::rheometer {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {
// A reply line longer than this is garbage, not a protocol line (PT lines are < 300 bytes).
constexpr std::size_t max_reply_line_bytes = 4096;

std::string strip_lf(std::string command) {
  while (!command.empty() && (command.back() == '\n' || command.back() == '\r')) command.pop_back();
  return command;
}
}  // namespace

ClientOptions client_options_from_connection(const std::string& connection) {
  std::string rest = connection;
  if (rest.rfind("tcp:", 0) == 0) rest = rest.substr(4);
  const auto colon = rest.rfind(':');
  ClientOptions options;
  if (colon == std::string::npos) {
    options.host = rest;
    return options;
  }
  options.host = rest.substr(0, colon);
  try {
    const int port = std::stoi(rest.substr(colon + 1));
    if (port <= 0 || port > 65535) throw std::out_of_range("port");
    options.port = static_cast<std::uint16_t>(port);
  } catch (const std::exception&) {
    throw UsageError(fmt::format("rheometer connection '{}': port is not 1..65535", connection));
  }
  return options;
}

RheometerClient::RheometerClient(ClientOptions options) : options_(std::move(options)), socket_(io_) {}

RheometerClient::~RheometerClient() { close_socket(); }

std::string RheometerClient::description() const { return fmt::format("tcp:{}:{}", options_.host, options_.port); }

bool RheometerClient::connected() const { return open_; }

void RheometerClient::run_for(std::chrono::milliseconds timeout) {
  // Run the pending asynchronous operation; if it has not finished in time, close the socket so
  // its handler runs with operation_aborted, and mark the exchange as timed out.
  io_.restart();
  io_.run_for(timeout);
  timed_out_ = false;
  if (!io_.stopped()) {
    timed_out_ = true;
    boost::system::error_code ignored;
    socket_.close(ignored);
    io_.run();
  }
}

void RheometerClient::open_socket() {
  close_socket();
  tcp::resolver resolver(io_);
  boost::system::error_code ec;
  const auto endpoints = resolver.resolve(options_.host, std::to_string(options_.port), ec);
  if (ec) throw DeviceError(fmt::format("rheometer {}: cannot resolve: {}", description(), ec.message()));
  socket_ = tcp::socket(io_);
  asio::async_connect(socket_, endpoints, [&](boost::system::error_code e, const tcp::endpoint&) { ec = e; });
  run_for(options_.connect_timeout);
  if (timed_out_) throw DeviceError(fmt::format("rheometer {}: connect timed out", description()));
  if (ec) throw DeviceError(fmt::format("rheometer {}: connect failed: {}", description(), ec.message()));
  socket_.set_option(tcp::no_delay(true), ec);
  input_.clear();
  open_ = true;
}

void RheometerClient::close_socket() noexcept {
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  input_.clear();
  open_ = false;
}

void RheometerClient::write_all(const std::string& bytes) {
  boost::system::error_code ec;
  asio::async_write(socket_, asio::buffer(bytes), [&](boost::system::error_code e, std::size_t) { ec = e; });
  run_for(options_.reply_timeout);
  if (timed_out_) throw DeviceError(fmt::format("rheometer {}: write timed out", description()));
  if (ec) throw DeviceError(fmt::format("rheometer {}: write failed: {}", description(), ec.message()));
}

std::string RheometerClient::read_line() {
  boost::system::error_code ec;
  std::size_t length = 0;
  asio::async_read_until(socket_, asio::dynamic_buffer(input_, max_reply_line_bytes), '\n',
                         [&](boost::system::error_code e, std::size_t n) {
                           ec = e;
                           length = n;
                         });
  run_for(options_.reply_timeout);
  if (timed_out_)
    throw DeviceError(fmt::format("rheometer {}: no reply within {} ms (partial '{}')", description(),
                                  options_.reply_timeout.count(), input_));
  if (ec) throw DeviceError(fmt::format("rheometer {}: read failed: {}", description(), ec.message()));
  std::string line = input_.substr(0, length - 1);
  input_.erase(0, length);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

std::vector<std::string> RheometerClient::exchange_once(const std::string& command, ReplyKind kind) {
  if (!open_) open_socket();
  write_all(command);
  std::vector<std::string> lines;
  while (true) {
    lines.push_back(read_line());
    const std::string& line = lines.back();
    if (kind == ReplyKind::single_line || protocol::is_end_line(line) || line.rfind("ERR ", 0) == 0) return lines;
    if (!protocol::is_point_line(line))
      throw ProtocolError(fmt::format("rheometer {}: unexpected line '{}' in reply to '{}'", description(), line,
                                      strip_lf(command)));
  }
}

std::vector<std::string> RheometerClient::transact(const std::string& command, ReplyKind kind, bool retry) {
  std::string last_failure;
  auto backoff = options_.backoff_initial;
  for (int attempt = 0;; ++attempt) {
    try {
      return exchange_once(command, kind);
    } catch (const ProtocolError&) {
      close_socket();  // out of step with the server: start afresh on the next exchange
      throw;
    } catch (const DeviceError& e) {
      close_socket();  // a partial reply is discarded with the connection
      last_failure = e.what();
    }
    if (!retry || attempt >= options_.max_reconnect_attempts)
      throw RheometerConnectionLost(fmt::format("rheometer {}: '{}' failed after {} attempt(s): {}", description(),
                                                strip_lf(command), attempt + 1, last_failure));
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, options_.backoff_max);
    ++reconnects_;
  }
}

void RheometerClient::connect() {
  auto backoff = options_.backoff_initial;
  for (int attempt = 0;; ++attempt) {
    try {
      open_socket();
      return;
    } catch (const DeviceError& e) {
      if (attempt >= options_.max_reconnect_attempts)
        throw RheometerConnectionLost(fmt::format("{} (after {} attempts)", e.what(), attempt + 1));
    }
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, options_.backoff_max);
  }
}

void RheometerClient::disconnect() noexcept { close_socket(); }

void RheometerClient::throw_instrument_error(const std::string& command, const ErrorEntry& entry) const {
  throw RheometerError(fmt::format("rheometer {}: '{}' refused: {} {}", description(), strip_lf(command), entry.code,
                                   entry.message),
                       entry.code, entry.message);
}

void RheometerClient::send_setting(const std::string& command) {
  const auto lines = transact(command, ReplyKind::single_line, true);
  if (protocol::is_ok(lines.front())) return;
  if (auto error = protocol::parse_error_reply(lines.front())) throw_instrument_error(command, *error);
  throw ProtocolError(fmt::format("rheometer {}: '{}' answered '{}', expected OK or ERR", description(),
                                  strip_lf(command), lines.front()));
}

std::string RheometerClient::identify() {
  const auto lines = transact("*IDN?\n", ReplyKind::single_line, true);
  if (auto error = protocol::parse_error_reply(lines.front())) throw_instrument_error("*IDN?", *error);
  return lines.front();
}

void RheometerClient::configure(const SweepConfiguration& configuration) {
  // Settings are idempotent, so retrying them after a reconnect is harmless.
  for (const auto& line : protocol::encode_configuration(configuration)) send_setting(line);
}

void RheometerClient::start() {
  const std::int64_t run_before = status().run_number;
  try {
    const auto lines = transact("START\n", ReplyKind::single_line, false);
    if (auto error = protocol::parse_error_reply(lines.front())) throw_instrument_error("START", *error);
    if (!protocol::is_ok(lines.front()))
      throw ProtocolError(fmt::format("rheometer {}: START answered '{}'", description(), lines.front()));
  } catch (const RheometerConnectionLost&) {
    // START is not idempotent: did it reach the instrument before the connection broke?
    const InstrumentStatus after = status();
    if (after.run_number == run_before) send_setting("START\n");
  }
  run_number_ = status().run_number;
  last_delivered_index_ = 0;
}

void RheometerClient::load_sample(const std::string& state) { send_setting("SAMPLE " + state + "\n"); }

void RheometerClient::abort() { send_setting("ABORT\n"); }

InstrumentStatus RheometerClient::status() {
  const auto lines = transact("STATUS?\n", ReplyKind::single_line, true);
  if (auto error = protocol::parse_error_reply(lines.front())) throw_instrument_error("STATUS?", *error);
  return protocol::parse_status(lines.front());
}

std::optional<ErrorEntry> RheometerClient::next_error() {
  const auto lines = transact("SYST:ERR?\n", ReplyKind::single_line, true);
  if (auto error = protocol::parse_error_reply(lines.front())) throw_instrument_error("SYST:ERR?", *error);
  ErrorEntry entry = protocol::parse_error_entry(lines.front());
  if (entry.code == 0) return std::nullopt;
  return entry;
}

std::vector<DataPoint> RheometerClient::fetch_new_points() {
  std::vector<DataPoint> delivered;
  while (true) {
    const std::string command = protocol::encode_data_query(last_delivered_index_);
    const auto lines = transact(command, ReplyKind::data_block, true);
    if (auto error = protocol::parse_error_reply(lines.back())) throw_instrument_error(command, *error);
    DataReply reply;
    try {
      reply = protocol::parse_data_reply(lines, last_delivered_index_);
    } catch (const ProtocolError& e) {
      throw ProtocolError(fmt::format("rheometer {}: {}", description(), e.what()));
    }
    // The whole reply parsed: only now do its points count as delivered.
    delivered.insert(delivered.end(), reply.points.begin(), reply.points.end());
    last_delivered_index_ = reply.last_delivered_index;
    if (!reply.more_available) return delivered;
  }
}

}  // namespace glasslab::rheometer
