// The two SerialLine implementations behind SerialPort (see serial_port.hpp for why two):
//  - LibSerialPortLine: real RS-232 / USB-serial adapters through libserialport;
//  - PtyLine: pseudo-terminals (the simulators) through plain POSIX termios, because
//    libserialport 0.1.1 refuses ptys (no /sys/class/tty entry, no modem lines).
// Both map "the far end went away" (EIO, ENXIO, ENODEV, POLLHUP, end of file) to
// line_result::hung_up so SerialPort can raise DisconnectedError for either.
#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include <libserialport.h>

#include <fmt/format.h>

#include "drivers/transport/serial_port.hpp"

namespace glasslab::transport {

namespace {

bool is_hangup_errno(int error) { return error == EIO || error == ENXIO || error == ENODEV || error == EPIPE; }

// Waits on one descriptor; shared by both lines. libserialport's sp_wait (0.1.1) returns SP_OK
// both on readiness and on timeout and does not report POLLHUP, so a pulled adapter would look
// like silence; polling the port's own descriptor (sp_get_port_handle) tells the two apart.
int poll_readable(int fd, int timeout_ms, std::string& error) {
  pollfd request{fd, POLLIN, 0};
  for (;;) {
    const int ready = ::poll(&request, 1, timeout_ms < 1 ? 1 : timeout_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) {
      error = fmt::format("poll: {}", std::strerror(errno));
      return line_result::failed;
    }
    if (ready == 0) return 0;
    // Data first: a peer may write and then close; what it wrote is still read before EIO.
    if (request.revents & POLLIN) return 1;
    if (request.revents & (POLLHUP | POLLERR | POLLNVAL)) {
      error = "poll: hang-up on the line";
      return line_result::hung_up;
    }
    return 0;
  }
}

class LibSerialPortLine final : public SerialLine {
public:
  ~LibSerialPortLine() override { close(); }

  int open(const SerialSettings& settings) override {
    close();
    if (!check(sp_get_port_by_name(settings.path.c_str(), &port_), "sp_get_port_by_name")) return line_result::failed;
    if (!check(sp_open(port_, SP_MODE_READ_WRITE), "sp_open")) return fail_open();
    // 8N1 always (reference "Line settings"); baud from the connection string, never probed.
    if (!check(sp_set_baudrate(port_, settings.baud), "sp_set_baudrate") ||
        !check(sp_set_bits(port_, 8), "sp_set_bits") ||
        !check(sp_set_parity(port_, SP_PARITY_NONE), "sp_set_parity") ||
        !check(sp_set_stopbits(port_, 1), "sp_set_stopbits") ||
        !check(sp_set_flowcontrol(port_, settings.flow == FlowControl::rtscts ? SP_FLOWCONTROL_RTSCTS
                                                                                : SP_FLOWCONTROL_NONE),
               "sp_set_flowcontrol"))
      return fail_open();
    if (!check(sp_get_port_handle(port_, &fd_), "sp_get_port_handle")) return fail_open();
    return line_result::ok;
  }

  void close() noexcept override {
    if (port_) {
      sp_close(port_);
      sp_free_port(port_);
    }
    port_ = nullptr;
    fd_ = -1;
  }

  int write(const char* bytes, int count, int timeout_ms) override {
    const sp_return written = sp_blocking_write(port_, bytes, static_cast<size_t>(count),
                                                static_cast<unsigned>(timeout_ms < 1 ? 1 : timeout_ms));
    return written < 0 ? mapped("sp_blocking_write", written) : static_cast<int>(written);
  }

  int wait_readable(int timeout_ms) override { return poll_readable(fd_, timeout_ms, error_); }

  int read_available(char* buffer, int capacity) override {
    const sp_return got = sp_nonblocking_read(port_, buffer, static_cast<size_t>(capacity));
    if (got < 0) return mapped("sp_nonblocking_read", got);
    // poll() said readable but nothing came: end of file, the device node went away.
    if (got == 0) {
      error_ = "sp_nonblocking_read: end of file after poll reported input";
      return line_result::hung_up;
    }
    return static_cast<int>(got);
  }

  int flush() override {
    const sp_return result = sp_flush(port_, SP_BUF_BOTH);
    return result < 0 ? mapped("sp_flush", result) : line_result::ok;
  }

  std::string last_error() const override { return error_; }
  std::string kind() const override { return "libserialport"; }

private:
  bool check(sp_return result, const char* call) {
    if (result >= 0) return true;
    mapped(call, result);
    return false;
  }

  int mapped(const char* call, sp_return result) {
    const int os_error = result == SP_ERR_FAIL ? sp_last_error_code() : 0;
    char* message = result == SP_ERR_FAIL ? sp_last_error_message() : nullptr;
    error_ = fmt::format("{}: {} (libserialport code {})", call, message ? message : "invalid argument or unsupported",
                         static_cast<int>(result));
    if (message) sp_free_error_message(message);
    return result == SP_ERR_FAIL && is_hangup_errno(os_error) ? line_result::hung_up : line_result::failed;
  }

  int fail_open() {
    close();
    return line_result::failed;
  }

  sp_port* port_ = nullptr;
  int fd_ = -1;
  std::string error_;
};

class PtyLine final : public SerialLine {
public:
  ~PtyLine() override { close(); }

  int open(const SerialSettings& settings) override {
    close();
    fd_ = ::open(settings.path.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd_ < 0) return os_failure("open");
    termios mode{};
    if (::tcgetattr(fd_, &mode) != 0) return fail_open("tcgetattr");
    // Raw 8N1: no CR->NL translation (the protocol's terminator is CR), no echo, no signals.
    ::cfmakeraw(&mode);
    mode.c_cflag &= ~static_cast<tcflag_t>(PARENB | CSTOPB | CSIZE | CRTSCTS);
    mode.c_cflag |= CS8 | CREAD | CLOCAL;
    // A pty has no wire: baud and RTS/CTS are accepted by the connection string and ignored.
    if (::tcsetattr(fd_, TCSANOW, &mode) != 0) return fail_open("tcsetattr");
    return line_result::ok;
  }

  void close() noexcept override {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  int write(const char* bytes, int count, int timeout_ms) override {
    int written = 0;
    while (written < count) {
      const ssize_t n = ::write(fd_, bytes + written, static_cast<size_t>(count - written));
      if (n > 0) {
        written += static_cast<int>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno != EAGAIN) return os_failure("write");
      pollfd request{fd_, POLLOUT, 0};
      const int ready = ::poll(&request, 1, timeout_ms < 1 ? 1 : timeout_ms);
      if (ready == 0) break;  // short write: SerialPort reports the timeout
      if (ready < 0 && errno != EINTR) return os_failure("poll");
      if (ready > 0 && (request.revents & (POLLHUP | POLLERR)) && !(request.revents & POLLOUT)) {
        error_ = "write: hang-up on the line";
        return line_result::hung_up;
      }
    }
    return written;
  }

  int wait_readable(int timeout_ms) override { return poll_readable(fd_, timeout_ms, error_); }

  int read_available(char* buffer, int capacity) override {
    const ssize_t n = ::read(fd_, buffer, static_cast<size_t>(capacity));
    if (n > 0) return static_cast<int>(n);
    if (n == 0) {
      error_ = "read: end of file";
      return line_result::hung_up;
    }
    if (errno == EAGAIN || errno == EINTR) return 0;
    return os_failure("read");
  }

  int flush() override { return ::tcflush(fd_, TCIOFLUSH) == 0 ? line_result::ok : os_failure("tcflush"); }

  std::string last_error() const override { return error_; }
  std::string kind() const override { return "pty (termios)"; }

private:
  int os_failure(const char* call) {
    const int error = errno;
    error_ = fmt::format("{}: {}", call, std::strerror(error));
    return is_hangup_errno(error) ? line_result::hung_up : line_result::failed;
  }

  int fail_open(const char* call) {
    os_failure(call);
    close();
    return line_result::failed;
  }

  int fd_ = -1;
  std::string error_;
};

}  // namespace

std::unique_ptr<SerialLine> make_libserialport_line() { return std::make_unique<LibSerialPortLine>(); }
std::unique_ptr<SerialLine> make_pty_line() { return std::make_unique<PtyLine>(); }

bool is_pseudo_terminal(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0 || !S_ISCHR(info.st_mode)) return false;
  // Unix98 pty slaves (/dev/pts/N) use character majors 136..143 (Documentation/admin-guide/devices.txt).
  const auto device_major = major(info.st_rdev);
  return device_major >= 136 && device_major <= 143;
}

}  // namespace glasslab::transport
