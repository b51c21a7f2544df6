// SerialPort on a real pseudo-terminal: the test holds the master, SerialPort opens the slave.
// Also the seam: a SerialLine wrapper that makes one system call fail on purpose.
#include <doctest/doctest.h>

#include <cstdlib>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "core/error.hpp"
#include "drivers/transport/connection_string.hpp"
#include "drivers/transport/serial_port.hpp"

using namespace glasslab;
using namespace glasslab::transport;
using namespace std::chrono_literals;

namespace {

/// The far end of the line: a pty master in raw mode.
struct PtyPeer {
  int master = -1;
  std::string slave_path;

  PtyPeer() {
    master = ::posix_openpt(O_RDWR | O_NOCTTY);
    REQUIRE(master >= 0);
    REQUIRE(::grantpt(master) == 0);
    REQUIRE(::unlockpt(master) == 0);
    slave_path = ::ptsname(master);
  }
  ~PtyPeer() { hang_up(); }
  void hang_up() {
    if (master >= 0) ::close(master);
    master = -1;
  }
  void send(const std::string& bytes) const { REQUIRE(::write(master, bytes.data(), bytes.size()) == (ssize_t)bytes.size()); }
  /// Reads exactly `count` bytes (waiting up to 2 s in total).
  std::string receive(std::size_t count) const {
    std::string out;
    while (out.size() < count) {
      pollfd request{master, POLLIN, 0};
      REQUIRE(::poll(&request, 1, 2000) == 1);
      char buffer[64];
      const ssize_t n = ::read(master, buffer, std::min(sizeof buffer, count - out.size()));
      REQUIRE(n > 0);
      out.append(buffer, static_cast<std::size_t>(n));
    }
    return out;
  }
  SerialSettings settings(const std::string& query = "?flow=none") const {
    return serial_settings_from(parse_connection_string("serial:" + slave_path + query));
  }
};

/// Wraps a real line and fails one chosen call with a chosen result code.
class FailingLine final : public SerialLine {
public:
  enum class Call { none, open, write, wait, read, flush };
  FailingLine(std::unique_ptr<SerialLine> inner, Call call, int result) : inner_(std::move(inner)), call_(call), result_(result) {}
  int open(const SerialSettings& s) override { return call_ == Call::open ? failure() : inner_->open(s); }
  void close() noexcept override { inner_->close(); }
  int write(const char* b, int n, int t) override { return call_ == Call::write ? failure() : inner_->write(b, n, t); }
  int wait_readable(int t) override { return call_ == Call::wait ? failure() : inner_->wait_readable(t); }
  int read_available(char* b, int n) override { return call_ == Call::read ? failure() : inner_->read_available(b, n); }
  int flush() override { return call_ == Call::flush ? failure() : inner_->flush(); }
  std::string last_error() const override { return failed_ ? "injected failure (EINVAL)" : inner_->last_error(); }
  std::string kind() const override { return "failing " + inner_->kind(); }

private:
  int failure() {
    failed_ = true;
    return result_;
  }
  std::unique_ptr<SerialLine> inner_;
  Call call_;
  int result_;
  bool failed_ = false;
};

}  // namespace

TEST_CASE("a pty slave is recognised as a pseudo-terminal, other files are not") {
  PtyPeer peer;
  CHECK(is_pseudo_terminal(peer.slave_path));
  CHECK_FALSE(is_pseudo_terminal("/dev/null"));
  CHECK_FALSE(is_pseudo_terminal("/nonexistent/tty"));
}

TEST_CASE("write reaches the far end byte for byte and read_until splits on the terminator") {
  PtyPeer peer;
  SerialPort port(peer.settings());
  port.open();
  CHECK(port.is_open());
  port.write("T\r", 500ms);
  CHECK(peer.receive(2) == "T\r");  // raw mode: the CR is not turned into a newline
  peer.send(std::string("\x01\x80\x80\x80\x80\x80" "00FA\r\rnext\r", 17));
  CHECK(port.read_until('\r', 1000ms) == std::string("\x01\x80\x80\x80\x80\x80" "00FA", 10));
  CHECK(port.read_until('\r', 1000ms).empty());  // a bare-CR acknowledgement
  CHECK(port.read_until('\r', 1000ms) == "next");
}

TEST_CASE("the default RTS/CTS setting also opens on a pty") {
  PtyPeer peer;
  SerialPort port(peer.settings(""));
  CHECK(port.settings().flow == FlowControl::rtscts);
  port.open();
  port.write("E\r", 500ms);
  CHECK(peer.receive(2) == "E\r");
}

TEST_CASE("a timeout hands over the partial bytes and the next read starts clean") {
  PtyPeer peer;
  SerialPort port(peer.settings());
  port.open();
  peer.send("\x01\x80" "12");
  try {
    port.read_until('\r', 100ms);
    FAIL("no timeout");
  } catch (const TimeoutError& e) {
    CHECK(e.partial() == "\x01\x80" "12");
    INFO(std::string(e.what()));
    CHECK(std::string(e.what()).find("01 80 31 32") != std::string::npos);
  }
  CHECK_THROWS_AS(port.read_until('\r', 30ms), TimeoutError);  // silence: nothing arrived at all
  peer.send("ok\r");
  CHECK(port.read_until('\r', 1000ms) == "ok");
}

TEST_CASE("flush discards what was received but not yet read") {
  PtyPeer peer;
  SerialPort port(peer.settings());
  port.open();
  peer.send("first\rstale\r");
  CHECK(port.read_until('\r', 1000ms) == "first");
  port.flush();
  peer.send("fresh\r");
  CHECK(port.read_until('\r', 1000ms) == "fresh");
}

TEST_CASE("a hang-up of the far end is a DisconnectedError and closes the port") {
  PtyPeer peer;
  SerialPort port(peer.settings());
  port.open();
  peer.hang_up();
  CHECK_THROWS_AS(port.read_until('\r', 1000ms), DisconnectedError);
  CHECK_FALSE(port.is_open());
  CHECK_THROWS_AS(port.write("T\r", 100ms), DisconnectedError);
}

TEST_CASE("open fails with a DeviceError naming the port when the device does not exist") {
  SerialPort port(serial_settings_from(parse_connection_string("serial:/dev/ttyGLASSLAB_NONE?flow=none")));
  try {
    port.open();
    FAIL("opened a missing device");
  } catch (const DeviceError& e) {
    CHECK(std::string(e.what()).find("/dev/ttyGLASSLAB_NONE") != std::string::npos);
    CHECK(std::string(e.what()).find("libserialport") != std::string::npos);
  }
  CHECK_FALSE(port.is_open());
}

TEST_CASE("libserialport itself refuses a pty, which is why ptys take the termios line") {
  PtyPeer peer;
  SerialPort port(peer.settings(), make_libserialport_line());
  try {
    port.open();
    FAIL("libserialport opened a pty: the termios fallback may no longer be needed");
  } catch (const DeviceError& e) {
    CHECK(std::string(e.what()).find("sp_get_port_by_name") != std::string::npos);
  }
}

TEST_CASE("a failing system call becomes a DeviceError naming the call, a hang-up a DisconnectedError") {
  PtyPeer peer;
  SUBCASE("open") {
    SerialPort port(peer.settings(), std::make_unique<FailingLine>(make_pty_line(), FailingLine::Call::open, line_result::failed));
    CHECK_THROWS_AS(port.open(), DeviceError);
    CHECK_FALSE(port.is_open());
  }
  SUBCASE("flush") {
    SerialPort port(peer.settings(), std::make_unique<FailingLine>(make_pty_line(), FailingLine::Call::flush, line_result::failed));
    port.open();
    try {
      port.flush();
      FAIL("flush succeeded");
    } catch (const DisconnectedError&) {
      FAIL("a failed flush is not a hang-up");
    } catch (const DeviceError& e) {
      CHECK(std::string(e.what()).find("flush failed") != std::string::npos);
      CHECK(std::string(e.what()).find("injected failure") != std::string::npos);
    }
    CHECK(port.is_open());
  }
  SUBCASE("write hung up") {
    SerialPort port(peer.settings(), std::make_unique<FailingLine>(make_pty_line(), FailingLine::Call::write, line_result::hung_up));
    port.open();
    CHECK_THROWS_AS(port.write("T\r", 100ms), DisconnectedError);
    CHECK_FALSE(port.is_open());
  }
  SUBCASE("read hung up") {
    SerialPort port(peer.settings(), std::make_unique<FailingLine>(make_pty_line(), FailingLine::Call::read, line_result::hung_up));
    port.open();
    peer.send("x\r");
    CHECK_THROWS_AS(port.read_until('\r', 1000ms), DisconnectedError);
  }
  SUBCASE("wait failed") {
    SerialPort port(peer.settings(), std::make_unique<FailingLine>(make_pty_line(), FailingLine::Call::wait, line_result::failed));
    port.open();
    CHECK_THROWS_WITH_AS(port.read_until('\r', 100ms), doctest::Contains("wait for input failed"), DeviceError);
  }
}

TEST_CASE("reopening after a close works and drops what was pending") {
  PtyPeer peer;
  SerialPort port(peer.settings());
  port.open();
  peer.send("a\rb\r");
  CHECK(port.read_until('\r', 1000ms) == "a");
  port.close();
  CHECK_FALSE(port.is_open());
  CHECK_THROWS_AS(port.read_until('\r', 10ms), DisconnectedError);
  port.open();
  port.flush();
  peer.send("c\r");
  CHECK(port.read_until('\r', 1000ms) == "c");
}
