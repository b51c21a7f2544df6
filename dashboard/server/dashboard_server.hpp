#pragma once
// `glasslab serve` and `glasslab run --serve` (issue 6, docs/dashboard.md): the web dashboard of
// a run store, served by Boost.Beast on 127.0.0.1 by default. Reading is open to whoever can
// reach the address; pause, resume and abort need the run's token. Binding to any other address
// needs allow_remote (the command line's --allow-remote) and the caller warns.
#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace glasslab::dashboard {

struct ServerOptions {
  std::string db_path;
  std::string bind_address = "127.0.0.1";
  unsigned short port = 8470;  ///< 0: any free port (see DashboardServer::port())
  bool allow_remote = false;
  int reader_threads = 2;
  std::chrono::milliseconds live_interval{100};  ///< how often a live socket looks for new rows
};

/// True for 127.0.0.0/8, ::1 and "localhost".
bool is_loopback_address(const std::string& address);

class DashboardServer {
public:
  /// Opens the database (migrating it to the current schema if it is older), resolves the address
  /// and binds. Throws UsageError for a non-loopback address without allow_remote or a port in
  /// use, StoreError for a database that is missing or not a glasslab store.
  explicit DashboardServer(ServerOptions options);
  ~DashboardServer();
  DashboardServer(const DashboardServer&) = delete;
  DashboardServer& operator=(const DashboardServer&) = delete;

  /// The bound port (the real one when options.port was 0).
  unsigned short port() const;
  /// "http://127.0.0.1:8470/"
  std::string url() const;
  bool is_loopback() const;
  /// For a non-loopback address: what the operator should know (who can read, plain HTTP).
  std::optional<std::string> exposure_warning() const;

  /// Serves from background threads; returns at once.
  void start();
  /// Stops accepting, closes connections, joins the threads. Idempotent, never throws.
  void stop() noexcept;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace glasslab::dashboard
