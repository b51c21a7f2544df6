// SocketUsbTransport: each USB transfer becomes one framed request on a local socket and one
// framed reply (docs/trigger-box.md, "usbsim framing"). All integers little-endian.
//
//   request  = u32 length, payload
//     control  : u8 1, u8 bmRequestType, u8 bRequest, u16 wValue, u16 wIndex, u16 wLength,
//                u32 timeout_ms, [wLength data bytes when OUT]
//     bulk out : u8 2, u8 endpoint, u32 timeout_ms, data bytes
//     bulk in  : u8 3, u8 endpoint, u32 max_bytes, u32 timeout_ms
//   reply    = u32 length, i32 status (0 or a libusb error code), data bytes
#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "drivers/transport/usb_device.hpp"

namespace glasslab::transport {

namespace {

void put_u16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v & 0xFF));
  out.push_back(static_cast<char>(v >> 8));
}
void put_u32(std::string& out, std::uint32_t v) {
  for (int shift = 0; shift < 32; shift += 8) out.push_back(static_cast<char>((v >> shift) & 0xFF));
}
std::uint32_t get_u32(const char* p) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<std::uint8_t>(p[i]);
  return v;
}
std::uint32_t clamp_timeout(std::chrono::milliseconds t) {
  return static_cast<std::uint32_t>(t.count() < 0 ? 0 : t.count());
}

/// Splits "host:port" when the address is not a filesystem path.
bool looks_like_tcp(const std::string& address) {
  return !address.empty() && address.front() != '/' && address.front() != '.' && address.find(':') != std::string::npos;
}

}  // namespace

SocketUsbTransport::SocketUsbTransport(std::string address) : address_(std::move(address)) { connect_socket(); }

SocketUsbTransport::~SocketUsbTransport() {
  if (fd_ >= 0) ::close(fd_);
}

void SocketUsbTransport::connect_socket() {
  if (looks_like_tcp(address_)) {
    const auto colon = address_.rfind(':');
    const std::string host = address_.substr(0, colon), port = address_.substr(colon + 1);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* result = nullptr;
    if (const int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &result); rc != 0)
      throw DeviceError(fmt::format("usbsim:{}: cannot resolve: {}", address_, ::gai_strerror(rc)));
    int last_errno = 0;
    for (addrinfo* ai = result; ai && fd_ < 0; ai = ai->ai_next) {
      fd_ = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
      if (fd_ >= 0 && ::connect(fd_, ai->ai_addr, ai->ai_addrlen) != 0) {
        last_errno = errno;
        ::close(fd_);
        fd_ = -1;
      }
    }
    ::freeaddrinfo(result);
    if (fd_ < 0)
      throw DeviceError(fmt::format("usbsim:{}: no simulator listening ({}); start one with 'glasslab sim xrd --port N'",
                                    address_, std::strerror(last_errno)));
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // small request/reply frames: no Nagle delay
    return;
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (address_.size() >= sizeof addr.sun_path)
    throw UsageError(fmt::format("usbsim:{}: socket path longer than {} bytes", address_, sizeof addr.sun_path - 1));
  std::memcpy(addr.sun_path, address_.c_str(), address_.size() + 1);
  fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw DeviceError(fmt::format("usbsim:{}: socket(): {}", address_, std::strerror(errno)));
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const int e = errno;
    ::close(fd_);
    fd_ = -1;
    throw DeviceError(fmt::format("usbsim:{}: no simulator listening ({}); start one with 'glasslab sim xrd --socket {}'",
                                  address_, std::strerror(e), address_));
  }
}

std::string SocketUsbTransport::exchange(const std::string& payload, std::chrono::milliseconds timeout,
                                         const std::string& what) {
  if (disconnected_ || fd_ < 0) throw DisconnectedError(fmt::format("usbsim:{}: simulator is gone ({})", address_, what));
  std::string frame;
  put_u32(frame, static_cast<std::uint32_t>(payload.size()));
  frame += payload;
  for (std::size_t sent = 0; sent < frame.size();) {
    const ssize_t n = ::send(fd_, frame.data() + sent, frame.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      disconnected_ = true;
      throw DisconnectedError(fmt::format("usbsim:{}: connection lost sending {}: {}", address_, what, std::strerror(errno)));
    }
    sent += static_cast<std::size_t>(n);
  }
  // The simulator answers after at most the transfer's own timeout; allow a margin for the socket.
  const auto deadline = std::chrono::steady_clock::now() + timeout + std::chrono::milliseconds(2000);
  auto read_exact = [&](char* out, std::size_t count) {
    for (std::size_t got = 0; got < count;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd pfd{fd_, POLLIN, 0};
      const int ready = ::poll(&pfd, 1, static_cast<int>(std::max<std::int64_t>(0, left.count())));
      if (ready < 0 && errno == EINTR) continue;
      if (ready == 0) throw TimeoutError(fmt::format("usbsim:{}: no reply to {} within {} ms", address_, what, timeout.count() + 2000), {});
      const ssize_t n = ::recv(fd_, out + got, count - got, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        disconnected_ = true;
        throw DisconnectedError(fmt::format("usbsim:{}: simulator closed the connection during {}", address_, what));
      }
      got += static_cast<std::size_t>(n);
    }
  };
  char header[4];
  read_exact(header, 4);
  const std::uint32_t length = get_u32(header);
  if (length < 4 || length > (1u << 24))
    throw ProtocolError(fmt::format("usbsim:{}: reply to {} has bad length {}", address_, what, length));
  std::string reply(length, '\0');
  read_exact(reply.data(), length);
  const auto status = static_cast<std::int32_t>(get_u32(reply.data()));
  if (status == usbsim::kStatusNoDevice) {
    disconnected_ = true;
    throw DisconnectedError(fmt::format("usbsim:{}: device vanished during {} (LIBUSB_ERROR_NO_DEVICE)", address_, what));
  }
  if (status == usbsim::kStatusTimeout)
    throw TimeoutError(fmt::format("usbsim:{}: {} timed out (LIBUSB_ERROR_TIMEOUT)", address_, what), reply.substr(4));
  if (status != usbsim::kStatusOk)
    throw DeviceError(fmt::format("usbsim:{}: {} failed with libusb status {}", address_, what, status));
  return reply.substr(4);
}

std::size_t SocketUsbTransport::control_transfer(std::uint8_t request_type, std::uint8_t request, std::uint16_t value,
                                                 std::uint16_t index, std::span<std::uint8_t> data,
                                                 std::chrono::milliseconds timeout) {
  std::string payload;
  payload.push_back(static_cast<char>(usbsim::kControl));
  payload.push_back(static_cast<char>(request_type));
  payload.push_back(static_cast<char>(request));
  put_u16(payload, value);
  put_u16(payload, index);
  put_u16(payload, static_cast<std::uint16_t>(data.size()));
  put_u32(payload, clamp_timeout(timeout));
  if (!is_device_to_host(request_type)) payload.append(reinterpret_cast<const char*>(data.data()), data.size());
  const std::string what =
      fmt::format("control transfer {:02x} {:02x} wValue {:04x} wIndex {:04x}", request_type, request, value, index);
  const std::string reply = exchange(payload, timeout, what);
  if (!is_device_to_host(request_type)) return data.size();
  const std::size_t n = std::min(reply.size(), data.size());
  std::memcpy(data.data(), reply.data(), n);
  return n;
}

void SocketUsbTransport::bulk_write(std::uint8_t endpoint, std::string_view bytes, std::chrono::milliseconds timeout) {
  std::string payload;
  payload.push_back(static_cast<char>(usbsim::kBulkOut));
  payload.push_back(static_cast<char>(endpoint));
  put_u32(payload, clamp_timeout(timeout));
  payload.append(bytes);
  exchange(payload, timeout, fmt::format("bulk write of {} bytes to endpoint {:02x}", bytes.size(), endpoint));
}

std::string SocketUsbTransport::bulk_read(std::uint8_t endpoint, std::size_t max_bytes, std::chrono::milliseconds timeout) {
  std::string payload;
  payload.push_back(static_cast<char>(usbsim::kBulkIn));
  payload.push_back(static_cast<char>(endpoint));
  put_u32(payload, static_cast<std::uint32_t>(max_bytes));
  put_u32(payload, clamp_timeout(timeout));
  std::string reply = exchange(payload, timeout, fmt::format("bulk read of up to {} bytes from endpoint {:02x}", max_bytes, endpoint));
  if (reply.size() > max_bytes) reply.resize(max_bytes);
  return reply;
}

}  // namespace glasslab::transport
