// SerialPort: read-until-terminator with a deadline, flush, and error mapping on top of a
// SerialLine (libserialport for real ports, termios for ptys; see serial_port.hpp).
#include "drivers/transport/serial_port.hpp"

#include <fmt/format.h>

namespace glasslab::transport {

namespace {

std::string hex_bytes(std::string_view bytes) {
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); ++i)
    out += fmt::format("{}{:02X}", i ? " " : "", static_cast<unsigned char>(bytes[i]));
  return out;
}

std::string_view to_string(FlowControl flow) { return flow == FlowControl::rtscts ? "rtscts" : "none"; }

}  // namespace

SerialSettings serial_settings_from(const ConnectionString& connection) {
  if (connection.scheme != "serial")
    throw UsageError(fmt::format("connection string '{}': a serial port needs the scheme 'serial'", connection.to_string()));
  for (const auto& [key, value] : connection.options)
    if (key != "baud" && key != "flow")
      throw UsageError(fmt::format("connection string '{}': unknown serial option '{}' (known: baud, flow)",
                                   connection.to_string(), key));
  SerialSettings settings;
  settings.path = connection.address;
  settings.baud = connection.int_option_or("baud", settings.baud);
  if (settings.baud <= 0)
    throw UsageError(fmt::format("connection string '{}': baud={} must be positive", connection.to_string(), settings.baud));
  const std::string flow = connection.option_or("flow", "rtscts");
  if (flow == "rtscts")
    settings.flow = FlowControl::rtscts;
  else if (flow == "none")
    settings.flow = FlowControl::none;
  else
    throw UsageError(fmt::format("connection string '{}': flow={} (expected rtscts or none)", connection.to_string(), flow));
  return settings;
}

SerialPort::SerialPort(SerialSettings settings, std::unique_ptr<SerialLine> line)
    : settings_(std::move(settings)), line_(std::move(line)) {
  if (!line_) line_ = is_pseudo_terminal(settings_.path) ? make_pty_line() : make_libserialport_line();
}

SerialPort::SerialPort(const ConnectionString& connection) : SerialPort(serial_settings_from(connection)) {}

SerialPort::~SerialPort() { close(); }

std::string SerialPort::description() const {
  return fmt::format("serial:{}?baud={}&flow={}", settings_.path, settings_.baud, to_string(settings_.flow));
}

void SerialPort::open() {
  if (open_) return;
  pending_.clear();
  if (line_->open(settings_) < 0)
    throw DeviceError(fmt::format("{}: cannot open ({}): {}", description(), line_->kind(), line_->last_error()));
  open_ = true;
}

void SerialPort::close() noexcept {
  if (line_) line_->close();
  open_ = false;
  pending_.clear();
}

void SerialPort::require_open(const char* operation) const {
  if (!open_) throw DisconnectedError(fmt::format("{}: {} on a closed port", description(), operation));
}

void SerialPort::fail(const char* operation, int result) {
  const std::string reason = line_->last_error();
  if (result == line_result::hung_up) {
    close();  // the descriptor is dead; the next open() starts afresh
    throw DisconnectedError(fmt::format("{}: {} failed, the far end hung up ({})", description(), operation, reason));
  }
  throw DeviceError(fmt::format("{}: {} failed ({}): {}", description(), operation, line_->kind(), reason));
}

void SerialPort::write(std::string_view bytes, std::chrono::milliseconds timeout) {
  require_open("write");
  const int count = static_cast<int>(bytes.size());
  const int written = line_->write(bytes.data(), count, static_cast<int>(timeout.count()));
  if (written < 0) fail("write", written);
  if (written < count)
    throw DeviceError(fmt::format("{}: write timed out after {} ms, {} of {} bytes sent [{}]", description(),
                                  timeout.count(), written, count, hex_bytes(bytes)));
}

bool SerialPort::take_message(char terminator, std::string& message) {
  const auto end = pending_.find(terminator);
  if (end == std::string::npos) return false;
  message = pending_.substr(0, end);
  pending_.erase(0, end + 1);
  return true;
}

std::string SerialPort::read_until(char terminator, std::chrono::milliseconds timeout) {
  require_open("read");
  using steady = std::chrono::steady_clock;
  const auto deadline = steady::now() + timeout;
  std::string message;
  char buffer[256];
  for (;;) {
    if (take_message(terminator, message)) return message;
    const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now());
    if (remaining.count() <= 0) {
      // Hand over what arrived so the caller can tell "silent" from "short reply"; the next
      // read starts clean.
      std::string partial = std::move(pending_);
      pending_.clear();
      // (message first: the order in which constructor arguments are evaluated is unspecified)
      const std::string message =
          fmt::format("{}: no terminator 0x{:02X} within {} ms ({} bytes arrived: [{}])", description(),
                      static_cast<unsigned char>(terminator), timeout.count(), partial.size(), hex_bytes(partial));
      throw TimeoutError(message, std::move(partial));
    }
    const int ready = line_->wait_readable(static_cast<int>(remaining.count()));
    if (ready < 0) fail("wait for input", ready);
    if (ready == 0) continue;
    const int got = line_->read_available(buffer, static_cast<int>(sizeof buffer));
    if (got < 0) fail("read", got);
    pending_.append(buffer, static_cast<std::size_t>(got));
  }
}

void SerialPort::flush() {
  require_open("flush");
  pending_.clear();
  const int result = line_->flush();
  if (result < 0) fail("flush", result);
}

}  // namespace glasslab::transport
