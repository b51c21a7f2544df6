#pragma once
// SerialPort: the ByteTransport of RS-232 instruments (Linkam T95), on libserialport.
//
//   serial:/dev/ttyUSB0?baud=19200&flow=rtscts     (defaults: baud 19200, flow rtscts; 8N1 always)
//   serial:/dev/pts/5?flow=none                     (a pseudo-terminal, e.g. the simulator)
//
// Pseudo-terminals: libserialport 0.1.1 (Debian 12) cannot open a pty at all. sp_get_port_by_name
// looks the name up in /sys/class/tty/<name> and /dev/pts/N has no entry there, and sp_open reads
// the modem lines (TIOCMGET), which a pty does not have. A pty has no baud rate, no modem lines and
// no hardware handshake either, so for a pty SerialPort uses a small POSIX termios line (raw mode,
// poll) instead; baud and flow are accepted and have no effect. Real ports always go through
// libserialport. See docs/linkam-protocol.md.
//
// The system calls sit behind SerialLine, the seam through which tests make one of them fail.
#include <memory>
#include <string>

#include "drivers/transport/byte_transport.hpp"
#include "drivers/transport/connection_string.hpp"

namespace glasslab::transport {

enum class FlowControl { none, rtscts };

struct SerialSettings {
  std::string path;                       ///< e.g. /dev/ttyUSB0
  int baud = 19200;                       ///< T95: 19200 (never auto-probed: a TMS94 can freeze)
  FlowControl flow = FlowControl::rtscts; ///< T95 default; some USB adapters lock up: flow=none
};

/// Reads path, `baud` and `flow` (rtscts|none) from a "serial:" connection string; throws
/// UsageError naming the string for another scheme, a non-positive baud or an unknown flow.
SerialSettings serial_settings_from(const ConnectionString& connection);

/// Result codes of the seam: >= 0 success (a byte count where one is meaningful), < 0 failure.
namespace line_result {
inline constexpr int ok = 0;
inline constexpr int failed = -1;     ///< the call failed; last_error() says why
inline constexpr int hung_up = -2;    ///< the far end is gone (EIO, ENXIO, ENODEV, POLLHUP, EOF)
}  // namespace line_result

/// The handful of operating-system calls SerialPort makes, one virtual per call, so a test can
/// wrap a real line and make exactly one call fail. Implementations never throw.
class SerialLine {
public:
  virtual ~SerialLine() = default;
  /// Opens and configures (baud, 8N1, flow). line_result::ok or failed.
  virtual int open(const SerialSettings& settings) = 0;
  virtual void close() noexcept = 0;
  /// Writes all bytes within timeout_ms: the count written (may be short on timeout) or < 0.
  virtual int write(const char* bytes, int count, int timeout_ms) = 0;
  /// Waits up to timeout_ms (>= 1) for input: 1 readable, 0 timed out, < 0 failed/hung_up.
  virtual int wait_readable(int timeout_ms) = 0;
  /// Reads what is available without blocking: the count (0 = nothing yet) or < 0.
  virtual int read_available(char* buffer, int capacity) = 0;
  /// Discards input and output buffers: ok or < 0.
  virtual int flush() = 0;
  /// The reason of the last failure, e.g. "sp_set_baudrate: Invalid argument".
  virtual std::string last_error() const = 0;
  /// "libserialport" or "pty (termios)": recorded in messages so a log says which path ran.
  virtual std::string kind() const = 0;
};

/// Real serial ports: sp_get_port_by_name, sp_open, sp_set_*, sp_blocking_write, sp_wait +
/// sp_nonblocking_read, sp_flush.
std::unique_ptr<SerialLine> make_libserialport_line();
/// Pseudo-terminals: open(2), termios raw 8N1, poll(2), read(2)/write(2), tcflush(3).
std::unique_ptr<SerialLine> make_pty_line();
/// True if `path` is the slave side of a Unix98 pseudo-terminal (char device, majors 136..143).
bool is_pseudo_terminal(const std::string& path);

class SerialPort final : public ByteTransport {
public:
  /// `line` defaults to the pty line for a pseudo-terminal and libserialport otherwise.
  explicit SerialPort(SerialSettings settings, std::unique_ptr<SerialLine> line = {});
  explicit SerialPort(const ConnectionString& connection);
  ~SerialPort() override;

  void open() override;
  void close() noexcept override;
  bool is_open() const override { return open_; }
  void write(std::string_view bytes, std::chrono::milliseconds timeout) override;
  std::string read_until(char terminator, std::chrono::milliseconds timeout) override;
  void flush() override;
  std::string description() const override;

  const SerialSettings& settings() const { return settings_; }

private:
  void require_open(const char* operation) const;
  [[noreturn]] void fail(const char* operation, int result);
  /// Moves one complete message out of pending_ if it holds the terminator.
  bool take_message(char terminator, std::string& message);

  SerialSettings settings_;
  std::unique_ptr<SerialLine> line_;
  bool open_ = false;
  std::string pending_;  ///< bytes read past the last terminator, kept for the next read_until
};

}  // namespace glasslab::transport
