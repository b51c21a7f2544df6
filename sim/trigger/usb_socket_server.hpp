#pragma once
// The simulated trigger box's cable: a local socket server that receives framed USB transfers
// (the "usbsim" framing of docs/trigger-box.md, decoded here on its own) and answers them from
// the FtdiChipModel. Unix socket path or TCP port on 127.0.0.1.
#include <atomic>
#include <string>
#include <thread>

#include "sim/trigger/ftdi_chip.hpp"

namespace glasslab::sim::trigger {

class UsbSocketServer {
public:
  /// Listens on a Unix socket at `socket_path` (replacing a stale one).
  static UsbSocketServer on_unix_socket(FtdiChipModel& chip, const std::string& socket_path);
  /// Listens on 127.0.0.1:`port` (0 = any free port; see port()).
  static UsbSocketServer on_tcp_port(FtdiChipModel& chip, int port);

  UsbSocketServer(UsbSocketServer&& other) noexcept;
  UsbSocketServer& operator=(UsbSocketServer&&) = delete;
  ~UsbSocketServer();  // stops and joins; never throws

  void start();   ///< serves on a background thread
  void stop() noexcept;
  /// The connection string a driver uses: "usbsim:/path" or "usbsim:127.0.0.1:PORT".
  std::string connection_string() const;
  int port() const { return port_; }
  long requests_served() const { return requests_.load(); }

private:
  UsbSocketServer(FtdiChipModel& chip, int listen_fd, std::string socket_path, int port);
  void serve();
  void serve_client(int fd);
  /// Decodes one request payload and returns the reply payload (status + data).
  std::string answer(const std::string& request);

  FtdiChipModel* chip_;
  int listen_fd_ = -1;
  std::string socket_path_;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<long> requests_{0};
  std::thread thread_;
};

}  // namespace glasslab::sim::trigger
