#pragma once
// The one small interface every line-oriented instrument driver talks to (libsigrok style).
// Concrete transports: SerialPort (libserialport), TcpStream (Boost.Asio). Tests wrap a real
// transport in a fault-injecting one through this same interface.
#include <chrono>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace glasslab::transport {

/// Raised when a read did not see its terminator in time. `partial()` holds what did arrive,
/// so a driver can tell "silent" from "short reply".
class TimeoutError : public DeviceError {
public:
  TimeoutError(const std::string& message, std::string partial)
      : DeviceError(message), partial_(std::move(partial)) {}
  const std::string& partial() const noexcept { return partial_; }

private:
  std::string partial_;
};

/// The far end went away (cable pulled, peer closed the socket, pty closed).
struct DisconnectedError : DeviceError {
  explicit DisconnectedError(const std::string& m) : DeviceError(m) {}
};

class ByteTransport {
public:
  virtual ~ByteTransport() = default;

  /// (Re)opens the connection. Idempotent on an open transport.
  virtual void open() = 0;
  /// Closes; never throws.
  virtual void close() noexcept = 0;
  virtual bool is_open() const = 0;

  /// Writes all bytes or throws (DisconnectedError, DeviceError on timeout).
  virtual void write(std::string_view bytes, std::chrono::milliseconds timeout) = 0;
  /// Reads up to and including `terminator`; returns the bytes without the terminator.
  /// Throws TimeoutError (with what arrived) or DisconnectedError.
  virtual std::string read_until(char terminator, std::chrono::milliseconds timeout) = 0;
  /// Discards everything buffered in both directions (used to resynchronise after a fault).
  virtual void flush() = 0;

  /// Human-readable name for messages and the run's configuration record, e.g. "serial:/dev/pts/3".
  virtual std::string description() const = 0;
};

}  // namespace glasslab::transport
