#include "sim/trigger/usb_socket_server.hpp"

#include <cerrno>
#include <cstring>

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/error.hpp"

namespace glasslab::sim::trigger {

namespace {

std::uint16_t u16_at(const std::string& s, std::size_t i) {
  return static_cast<std::uint16_t>(static_cast<std::uint8_t>(s[i]) | (static_cast<std::uint8_t>(s[i + 1]) << 8));
}
std::uint32_t u32_at(const std::string& s, std::size_t i) {
  return static_cast<std::uint32_t>(u16_at(s, i)) | (static_cast<std::uint32_t>(u16_at(s, i + 2)) << 16);
}
void append_u32(std::string& out, std::uint32_t v) {
  for (int k = 0; k < 4; ++k) out.push_back(static_cast<char>((v >> (8 * k)) & 0xFF));
}

/// Waits until fd is readable or the stop flag is raised; false when stopping.
bool wait_readable(int fd, const std::atomic<bool>& stopping) {
  while (!stopping.load()) {
    pollfd pfd{fd, POLLIN, 0};
    const int rc = ::poll(&pfd, 1, 100);
    if (rc > 0) return true;
    if (rc < 0 && errno != EINTR) return false;
  }
  return false;
}

bool read_exact(int fd, char* out, std::size_t count, const std::atomic<bool>& stopping) {
  for (std::size_t got = 0; got < count;) {
    if (!wait_readable(fd, stopping)) return false;
    const ssize_t n = ::recv(fd, out + got, count - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    got += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

UsbSocketServer::UsbSocketServer(FtdiChipModel& chip, int listen_fd, std::string socket_path, int port)
    : chip_(&chip), listen_fd_(listen_fd), socket_path_(std::move(socket_path)), port_(port) {}

UsbSocketServer::UsbSocketServer(UsbSocketServer&& other) noexcept
    : chip_(other.chip_), listen_fd_(other.listen_fd_), socket_path_(std::move(other.socket_path_)), port_(other.port_) {
  other.listen_fd_ = -1;
  other.socket_path_.clear();
}

UsbSocketServer UsbSocketServer::on_unix_socket(FtdiChipModel& chip, const std::string& socket_path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof addr.sun_path)
    throw UsageError(fmt::format("socket path '{}' is longer than {} bytes", socket_path, sizeof addr.sun_path - 1));
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  ::unlink(socket_path.c_str());
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 4) != 0) {
    const int e = errno;
    if (fd >= 0) ::close(fd);
    throw DeviceError(fmt::format("simulated trigger box: cannot listen on '{}': {}", socket_path, std::strerror(e)));
  }
  return UsbSocketServer(chip, fd, socket_path, 0);
}

UsbSocketServer UsbSocketServer::on_tcp_port(FtdiChipModel& chip, int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 4) != 0) {
    const int e = errno;
    if (fd >= 0) ::close(fd);
    throw DeviceError(fmt::format("simulated trigger box: cannot listen on 127.0.0.1:{}: {}", port, std::strerror(e)));
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  return UsbSocketServer(chip, fd, {}, ntohs(addr.sin_port));
}

UsbSocketServer::~UsbSocketServer() {
  stop();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  if (!socket_path_.empty()) ::unlink(socket_path_.c_str());
}

std::string UsbSocketServer::connection_string() const {
  return socket_path_.empty() ? fmt::format("usbsim:127.0.0.1:{}", port_) : "usbsim:" + socket_path_;
}

void UsbSocketServer::start() { thread_ = std::thread([this] { serve(); }); }

void UsbSocketServer::stop() noexcept {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void UsbSocketServer::serve() {
  while (!stopping_.load()) {
    if (!wait_readable(listen_fd_, stopping_)) break;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    int one = 1;
    if (socket_path_.empty()) ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    serve_client(fd);  // one host at a time, as a USB device has one owner
    ::close(fd);
  }
}

void UsbSocketServer::serve_client(int fd) {
  while (!stopping_.load()) {
    char header[4];
    if (!read_exact(fd, header, 4, stopping_)) return;
    const std::uint32_t length = u32_at(std::string(header, 4), 0);
    if (length == 0 || length > (1u << 24)) return;  // not our framing: drop the client
    std::string request(length, '\0');
    if (!read_exact(fd, request.data(), length, stopping_)) return;
    const std::string reply = answer(request);
    std::string frame;
    append_u32(frame, static_cast<std::uint32_t>(reply.size()));
    frame += reply;
    for (std::size_t sent = 0; sent < frame.size();) {
      const ssize_t n = ::send(fd, frame.data() + sent, frame.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      sent += static_cast<std::size_t>(n);
    }
    ++requests_;
  }
}

std::string UsbSocketServer::answer(const std::string& request) {
  // Request kinds: 1 control, 2 bulk out, 3 bulk in (docs/trigger-box.md, "usbsim framing").
  UsbAnswer result{kUsbErrorPipe, {}};
  const auto kind = static_cast<std::uint8_t>(request[0]);
  if (kind == 1 && request.size() >= 13) {
    const auto request_type = static_cast<std::uint8_t>(request[1]);
    const auto length = u16_at(request, 7);
    const std::string out_data = (request_type & 0x80) ? std::string() : request.substr(13);
    result = chip_->control(request_type, static_cast<std::uint8_t>(request[2]), u16_at(request, 3), u16_at(request, 5),
                            length, out_data);
  } else if (kind == 2 && request.size() >= 6) {
    result = chip_->bulk_out(static_cast<std::uint8_t>(request[1]), request.substr(6));
  } else if (kind == 3 && request.size() >= 10) {
    result = chip_->bulk_in(static_cast<std::uint8_t>(request[1]), u32_at(request, 2));
  }
  std::string reply;
  append_u32(reply, static_cast<std::uint32_t>(result.status));
  reply += result.data;
  return reply;
}

}  // namespace glasslab::sim::trigger
