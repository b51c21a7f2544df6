// glasslab serve: the web dashboard of a run store; glasslab ctl: pause, resume or abort a run
// that another process is running (docs/dashboard.md).
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>

#include <fmt/format.h>

#include "acquisition/control/control_bus.hpp"
#include "acquisition/store/sqlite.hpp"
#include "app/commands.hpp"
#include "core/error.hpp"
#include "dashboard/server/dashboard_server.hpp"

namespace glasslab::app {

namespace {

namespace control = acquisition::control;

struct ServeOptions {
  std::string db_path;
  std::string bind_address = "127.0.0.1";
  int port = 8470;
  bool allow_remote = false;
};

/// Serves until SIGINT or SIGTERM. The signals are blocked in every thread and taken here with
/// sigwait, so the server's threads stop in order instead of being interrupted.
int serve(const ServeOptions& o) {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  dashboard::ServerOptions options;
  options.db_path = o.db_path;
  options.bind_address = o.bind_address;
  options.port = static_cast<unsigned short>(o.port);
  options.allow_remote = o.allow_remote;
  dashboard::DashboardServer server(options);
  if (auto warning = server.exposure_warning()) fmt::print(stderr, "warning: {}\n", *warning);
  server.start();
  fmt::print(stderr, "dashboard of {}: {} (Ctrl-C stops it)\n", o.db_path, server.url());
  fmt::print("{}\n", server.url());
  std::fflush(stdout);
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  server.stop();
  fmt::print(stderr, "dashboard stopped\n");
  return 0;
}

struct CtlOptions {
  acquisition::RunId run = 0;
  std::string action;
  std::string token;
  std::string db_path;
  double wait_s = 10;
};

/// "pid 4242 user lab": who sent a request, for the run's event log.
std::string origin_peer() {
  const passwd* account = getpwuid(getuid());
  return fmt::format("pid {} user {}", getpid(), account && account->pw_name ? account->pw_name : std::to_string(getuid()));
}

/// After an accepted pause: wait until the run holds (a DMA queue may take a whole sweep).
void report_pause_taking_effect(const CtlOptions& o, std::chrono::steady_clock::time_point deadline) {
  acquisition::sqlite::Database db(o.db_path, acquisition::sqlite::Database::Mode::read_only);
  while (std::chrono::steady_clock::now() < deadline) {
    auto select = db.prepare("SELECT state FROM run_control WHERE run_id = ?1");
    select.bind(1, o.run);
    if (select.step() && select.column_text(0) == "paused") {
      fmt::print("run {} is paused\n", o.run);
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  fmt::print("run {}: the pause takes effect at the run's next safe point\n", o.run);
}

int ctl(CtlOptions o) {
  const auto action = control::parse_action(o.action);
  if (!action) throw UsageError(fmt::format("'{}': the action is pause, resume or abort", o.action));
  if (o.token.empty())
    if (const char* env = std::getenv("GLASSLAB_CONTROL_TOKEN"); env && *env) o.token = env;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                                              std::chrono::duration<double>(o.wait_s));
  const auto submitted = control::submit_control_request(o.db_path, o.run, *action, o.token, {"ctl", origin_peer()});
  if (submitted.verdict != control::SubmitVerdict::queued) {
    fmt::print(stderr, "glasslab ctl: refused: {}\n", submitted.message);
    return 1;
  }
  const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  const auto answer = control::wait_for_request(o.db_path, submitted.request_id, std::max(remaining, std::chrono::milliseconds(0)));
  if (answer.status == "pending") {
    fmt::print(stderr, "glasslab ctl: run {} has not answered request {} within {:g} s (is it stuck?)\n", o.run,
               submitted.request_id, o.wait_s);
    return 1;
  }
  if (answer.status != "accepted") {
    fmt::print(stderr, "glasslab ctl: run {} refused {}: {}\n", o.run, o.action, answer.outcome);
    return 1;
  }
  fmt::print("run {}: {}\n", o.run, answer.outcome);
  if (*action == control::ControlAction::pause) report_pause_taking_effect(o, deadline);
  return 0;
}

}  // namespace

void add_dashboard_options(CLI::App& command, int& port, std::string& bind_address, bool& allow_remote) {
  command.add_option("--port", port, "dashboard TCP port (0: any free port)")->capture_default_str()->check(CLI::Range(0, 65535));
  command.add_option("--bind", bind_address, "dashboard address to listen on")->capture_default_str();
  command.add_flag("--allow-remote", allow_remote,
                   "allow --bind to a non-loopback address (anyone on that network can read the runs)");
}

void add_serve_commands(CLI::App& app) {
  auto serve_options = std::make_shared<ServeOptions>();
  serve_options->db_path = default_db_path();
  auto* serve_cmd = app.add_subcommand("serve", "Serve the web dashboard of a run store (docs/dashboard.md)");
  serve_cmd->add_option("--db", serve_options->db_path, "SQLite run store")->capture_default_str();
  add_dashboard_options(*serve_cmd, serve_options->port, serve_options->bind_address, serve_options->allow_remote);
  serve_cmd->callback([serve_options] {
    const int code = serve(*serve_options);
    if (code != 0) throw CLI::RuntimeError(code);
  });

  auto ctl_options = std::make_shared<CtlOptions>();
  ctl_options->db_path = default_db_path();
  auto* ctl_cmd = app.add_subcommand("ctl", "Pause, resume or abort a running run (needs the token `run` printed)");
  ctl_cmd->add_option("RUN", ctl_options->run, "run id")->required()->check(CLI::PositiveNumber);
  ctl_cmd->add_option("ACTION", ctl_options->action, "pause, resume or abort")
      ->required()
      ->check(CLI::IsMember({"pause", "resume", "abort"}));
  ctl_cmd->add_option("--token", ctl_options->token, "the run's control token (default: $GLASSLAB_CONTROL_TOKEN)");
  ctl_cmd->add_option("--db", ctl_options->db_path, "SQLite run store")->capture_default_str();
  ctl_cmd->add_option("--wait", ctl_options->wait_s, "seconds to wait for the run's answer")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 3600.0));
  ctl_cmd->callback([ctl_options] {
    const int code = ctl(*ctl_options);
    if (code != 0) throw CLI::RuntimeError(code);
  });
}

}  // namespace glasslab::app
