#pragma once
// The simulated rheometer's TCP face (docs/rheometer-protocol.md, "Transport and framing"):
// a Boost.Asio server that reads LF-terminated lines, hands each to the SimulatedRheometer and
// writes its reply. It also carries out the connection-level faults: drop every connection,
// stall (answer nothing for a while), go offline (refuse connections) and come back.
#include <atomic>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>  // before Asio: Boost 1.74 awaitable.hpp uses std::exchange without it

#include <boost/asio.hpp>

#include "sim/rheometer/instrument.hpp"

namespace glasslab::sim::rheometer {

struct ServerOptions {
  std::string bind_address = "127.0.0.1";
  std::uint16_t port = 5025;  ///< 0 = let the system pick a free port
};

class RheometerServer {
public:
  RheometerServer(SimulatedRheometer& instrument, const ServerOptions& options);
  ~RheometerServer();
  RheometerServer(const RheometerServer&) = delete;
  RheometerServer& operator=(const RheometerServer&) = delete;

  /// The bound port (useful with port 0).
  std::uint16_t port() const { return port_; }

  /// Runs the io_context on the calling thread until stop().
  void run();
  /// Runs the io_context on a background thread (tests, `glasslab sim rheometer`).
  void start_background();
  void stop() noexcept;

  // Connection-level faults; safe to call from any thread.
  void drop_all_connections();
  void set_offline(bool offline);

  /// Applies one fault line as typed on the simulator's stdin ("drop", "stall 2", "error 301",
  /// "lose-sample", "offline", "online", "drop-at 40", "error-at 12", "lose-sample-at 9",
  /// "stall-at 30 1.5"). Returns a message for the console; throws UsageError on a bad line.
  std::string apply_fault_command(const std::string& line);

  std::size_t connection_count() const { return connection_count_.load(); }

private:
  class Session;
  void open_acceptor();
  void accept_next();
  void close_sessions();

  SimulatedRheometer& instrument_;
  ServerOptions options_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  std::set<std::shared_ptr<Session>> sessions_;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<std::size_t> connection_count_{0};
  bool offline_ = false;
};

}  // namespace glasslab::sim::rheometer
