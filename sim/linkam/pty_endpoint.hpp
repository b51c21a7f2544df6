#pragma once
// The simulator's end of the cable: a pseudo-terminal whose slave a driver opens like a serial
// port, and a stable symlink to it that survives a simulated cable drop (which replaces the pty).
#include <string>

namespace glasslab::sim::linkam {

/// One pseudo-terminal in raw mode. The simulator reads and writes the master (non-blocking);
/// it also keeps the slave open itself, so that the master does not see a hangup (and poll()
/// does not spin) while no driver has the port open, exactly like a serial line with no PC.
/// Closing the endpoint hangs up the slave: a peer's read returns EOF or EIO.
class PtyEndpoint {
public:
  PtyEndpoint();  // throws DeviceError naming the failing call
  ~PtyEndpoint();
  PtyEndpoint(const PtyEndpoint&) = delete;
  PtyEndpoint& operator=(const PtyEndpoint&) = delete;

  int master_fd() const { return master_fd_; }
  const std::string& slave_path() const { return slave_path_; }

private:
  int master_fd_ = -1;
  int held_slave_fd_ = -1;
  std::string slave_path_;
};

/// A symlink at a fixed path, re-pointed atomically (symlink + rename) at each new pty.
/// With no path given it lives in a fresh temporary directory (`<tmp>/glasslab-linkam-XXXXXX/linkam-tty`)
/// that is removed with it.
class StableLink {
public:
  explicit StableLink(std::string requested_path);
  ~StableLink();
  StableLink(const StableLink&) = delete;
  StableLink& operator=(const StableLink&) = delete;

  const std::string& path() const { return path_; }
  void point_to(const std::string& target);  // throws DeviceError
  void remove() noexcept;                     // the cable is unplugged: the device disappears

private:
  std::string path_;
  std::string owned_dir_;  // temporary directory we created, or empty
};

}  // namespace glasslab::sim::linkam
