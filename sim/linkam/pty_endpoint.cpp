#include "sim/linkam/pty_endpoint.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <fmt/format.h>

#include "core/error.hpp"

namespace glasslab::sim::linkam {

namespace {

[[noreturn]] void throw_errno(const char* call, const std::string& what) {
  throw DeviceError(fmt::format("{}:{}: simulated Linkam T95: {}({}) failed: {}", __FILE__, __LINE__, call, what,
                                std::strerror(errno)));
}

/// Raw 8N1 at the T95's 19200 baud (the baud rate means nothing on a pty, but a driver that reads
/// it back finds the real setting).
void make_raw(int fd, const std::string& path) {
  termios tio{};
  if (tcgetattr(fd, &tio) != 0) throw_errno("tcgetattr", path);
  cfmakeraw(&tio);
  cfsetispeed(&tio, B19200);
  cfsetospeed(&tio, B19200);
  tio.c_cflag |= CLOCAL | CREAD;
  tio.c_cc[VMIN] = 1;
  tio.c_cc[VTIME] = 0;
  if (tcsetattr(fd, TCSANOW, &tio) != 0) throw_errno("tcsetattr", path);
}

}  // namespace

PtyEndpoint::PtyEndpoint() {
  master_fd_ = posix_openpt(O_RDWR | O_NOCTTY);
  if (master_fd_ < 0) throw_errno("posix_openpt", "O_RDWR|O_NOCTTY");
  try {
    if (grantpt(master_fd_) != 0) throw_errno("grantpt", "master");
    if (unlockpt(master_fd_) != 0) throw_errno("unlockpt", "master");
    char name[128] = {};
    if (ptsname_r(master_fd_, name, sizeof name) != 0) throw_errno("ptsname_r", "master");
    slave_path_ = name;
    held_slave_fd_ = ::open(slave_path_.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (held_slave_fd_ < 0) throw_errno("open", slave_path_);
    make_raw(held_slave_fd_, slave_path_);
    const int flags = fcntl(master_fd_, F_GETFL);
    if (flags < 0 || fcntl(master_fd_, F_SETFL, flags | O_NONBLOCK) != 0) throw_errno("fcntl", "O_NONBLOCK");
    fcntl(master_fd_, F_SETFD, FD_CLOEXEC);
  } catch (...) {
    if (held_slave_fd_ >= 0) ::close(held_slave_fd_);
    ::close(master_fd_);
    throw;
  }
}

PtyEndpoint::~PtyEndpoint() {
  if (held_slave_fd_ >= 0) ::close(held_slave_fd_);
  if (master_fd_ >= 0) ::close(master_fd_);
}

StableLink::StableLink(std::string requested_path) : path_(std::move(requested_path)) {
  if (!path_.empty()) return;
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = fmt::format("{}/glasslab-linkam-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (!mkdtemp(buffer.data())) throw_errno("mkdtemp", pattern);
  owned_dir_ = buffer.data();
  path_ = owned_dir_ + "/linkam-tty";
}

StableLink::~StableLink() {
  remove();
  if (!owned_dir_.empty()) ::rmdir(owned_dir_.c_str());
}

void StableLink::point_to(const std::string& target) {
  struct stat existing {};
  if (::lstat(path_.c_str(), &existing) == 0 && !S_ISLNK(existing.st_mode)) {
    throw DeviceError(fmt::format("{}:{}: simulated Linkam T95: --link {} exists and is not a symlink; refusing to "
                                  "replace it",
                                  __FILE__, __LINE__, path_));
  }
  // symlink() beside the final name, then rename() over it: a driver that opens the path at
  // any moment finds either the old target or the new one, never nothing.
  const std::string staging = fmt::format("{}.{}.tmp", path_, ::getpid());
  ::unlink(staging.c_str());
  if (::symlink(target.c_str(), staging.c_str()) != 0) throw_errno("symlink", staging);
  if (::rename(staging.c_str(), path_.c_str()) != 0) {
    ::unlink(staging.c_str());
    throw_errno("rename", path_);
  }
}

void StableLink::remove() noexcept {
  struct stat existing {};
  if (::lstat(path_.c_str(), &existing) == 0 && S_ISLNK(existing.st_mode)) ::unlink(path_.c_str());
}

}  // namespace glasslab::sim::linkam
