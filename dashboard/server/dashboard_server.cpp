#include "dashboard/server/dashboard_server.hpp"

#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <fmt/format.h>

#include "acquisition/store/schema.hpp"
#include "acquisition/store/sqlite.hpp"
#include "core/error.hpp"
#include "dashboard/server/sessions.hpp"

namespace glasslab::dashboard {

namespace net = boost::asio;

RunQueries& queries_for(const std::string& db_path) {
  thread_local std::map<std::string, std::unique_ptr<RunQueries>> connections;
  auto& connection = connections[db_path];
  if (!connection) connection = std::make_unique<RunQueries>(db_path);
  return *connection;
}

bool is_loopback_address(const std::string& address) {
  if (address == "localhost") return true;
  boost::system::error_code ec;
  const auto parsed = net::ip::make_address(address, ec);
  return !ec && parsed.is_loopback();
}

namespace {

/// A store written by an older glasslab gets the control tables; a read-only file is served as
/// it is (its runs cannot be steered anyway).
void bring_schema_up_to_date(const std::string& db_path) {
  if (!std::filesystem::exists(db_path))
    throw StoreError(fmt::format("no run store at {} (a `glasslab run --db {}` creates it)", db_path, db_path));
  try {
    acquisition::sqlite::Database db(db_path, acquisition::sqlite::Database::Mode::read_write);
    db.exec("PRAGMA busy_timeout = 5000");
    acquisition::schema::migrate(db);
  } catch (const StoreError&) {
    acquisition::sqlite::Database db(db_path, acquisition::sqlite::Database::Mode::read_only);
    acquisition::schema::check_readable(db);  // throws for a file that is no glasslab store
  }
}

}  // namespace

struct DashboardServer::Impl {
  ServerOptions options;
  net::io_context network{1};
  net::thread_pool readers;
  net::thread_pool controllers{1};
  tcp::acceptor acceptor{network};
  std::shared_ptr<ServerContext> context;
  std::thread network_thread;
  std::mutex mutex;
  bool started = false, stopped = false;

  explicit Impl(ServerOptions o) : options(std::move(o)), readers(static_cast<std::size_t>(std::max(1, options.reader_threads))) {}

  void accept_next() {
    acceptor.async_accept(network, [this](beast::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted) return;
      if (!ec) std::make_shared<HttpSession>(std::move(socket), context)->start();
      accept_next();
    });
  }
};

DashboardServer::DashboardServer(ServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {
  auto& o = impl_->options;
  if (!is_loopback_address(o.bind_address) && !o.allow_remote)
    throw UsageError(fmt::format("--bind {}: not a loopback address; the dashboard would be readable from the network. "
                                 "Add --allow-remote to mean it",
                                 o.bind_address));
  bring_schema_up_to_date(o.db_path);
  boost::system::error_code ec;
  const auto address = net::ip::make_address(o.bind_address == "localhost" ? "127.0.0.1" : o.bind_address, ec);
  if (ec) throw UsageError(fmt::format("--bind {}: not an IP address ({})", o.bind_address, ec.message()));
  const tcp::endpoint endpoint{address, o.port};
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    throw UsageError(fmt::format("dashboard: cannot listen on {}:{}: {}{}", o.bind_address, o.port, ec.message(),
                                 ec == net::error::address_in_use ? " (another glasslab serve? try --port)" : ""));

  impl_->context = std::make_shared<ServerContext>(
      ServerContext{o.db_path, impl_->network, impl_->readers, impl_->controllers, o.live_interval, {}});
  if (is_loopback()) {
    const auto p = std::to_string(port());
    impl_->context->allowed_hosts = {"127.0.0.1:" + p, "localhost:" + p, "[::1]:" + p, o.bind_address + ":" + p};
  }
}

DashboardServer::~DashboardServer() { stop(); }

unsigned short DashboardServer::port() const { return impl_->acceptor.local_endpoint().port(); }

bool DashboardServer::is_loopback() const { return is_loopback_address(impl_->options.bind_address); }

std::optional<std::string> DashboardServer::exposure_warning() const {
  if (is_loopback()) return std::nullopt;
  return fmt::format("the dashboard listens on {}: anyone who can reach this address can read every run in {}. "
                     "Pause, resume and abort still need each run's token, but HTTP is not encrypted: on an "
                     "untrusted network the token can be read in transit",
                     url(), impl_->options.db_path);
}

std::string DashboardServer::url() const {
  const auto& address = impl_->options.bind_address;
  const bool v6 = address.find(':') != std::string::npos;
  return fmt::format("http://{}{}{}:{}/", v6 ? "[" : "", address, v6 ? "]" : "", port());
}

void DashboardServer::start() {
  std::lock_guard lock(impl_->mutex);
  if (impl_->started || impl_->stopped) return;
  impl_->started = true;
  impl_->accept_next();
  impl_->network_thread = std::thread([this] { impl_->network.run(); });
}

void DashboardServer::stop() noexcept {
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->stopped) return;
    impl_->stopped = true;
  }
  net::post(impl_->network, [this] {
    boost::system::error_code ec;
    impl_->acceptor.close(ec);
  });
  impl_->network.stop();
  if (impl_->network_thread.joinable() && impl_->network_thread.get_id() != std::this_thread::get_id())
    impl_->network_thread.join();
  impl_->readers.join();
  impl_->controllers.join();
}

}  // namespace glasslab::dashboard
