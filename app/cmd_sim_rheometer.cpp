// glasslab sim rheometer: the simulated DHR-3 rheometer service (docs/rheometer-protocol.md).
// The first stdout line is the bound port, so scripts and tests can start it with --port 0.
// Fault switches come from --fault (repeatable) and, at run time, from lines on stdin.
#include <csignal>
#include <cstdio>
#include <memory>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "app/commands.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "sim/rheometer/instrument.hpp"
#include "sim/rheometer/server.hpp"

namespace glasslab::app {

namespace {

struct SimRheometerOptions {
  int port = 5025;
  std::string bind = "127.0.0.1";
  double speed = 1.0;
  std::uint64_t seed = 1;
  std::string sample_state = "as-cast";
  std::vector<std::string> faults;
  std::int64_t clock_origin_ns = 0;  ///< 0: this process's own start
  std::string event_log;             ///< --event-log FILE: runs, points, ends and fired faults (CSV)
};

void run_sim_rheometer(const SimRheometerOptions& options) {
  if (options.port < 0 || options.port > 65535) throw UsageError(fmt::format("--port {} is not 0..65535", options.port));
  if (options.speed <= 0) throw UsageError(fmt::format("--speed {} must be > 0", options.speed));
  namespace sr = glasslab::sim::rheometer;
  // Block the stop signals before any thread starts, so only sigwait() below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  ScaledSteadyClock clock = options.clock_origin_ns != 0 ? ScaledSteadyClock(options.speed, options.clock_origin_ns)
                                                        : ScaledSteadyClock(options.speed);
  sr::SimulatedRheometer instrument(clock, sr::parse_sample_state(options.sample_state), options.seed);
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> event_log(nullptr, &std::fclose);
  if (!options.event_log.empty()) {
    event_log.reset(std::fopen(options.event_log.c_str(), "w"));
    if (!event_log) throw UsageError(fmt::format("sim rheometer: cannot write --event-log {}", options.event_log));
    instrument.set_event_log(event_log.get());
  }
  sr::ServerOptions server_options;
  server_options.bind_address = options.bind;
  server_options.port = static_cast<std::uint16_t>(options.port);
  sr::RheometerServer server(instrument, server_options);
  for (const auto& fault : options.faults) fmt::print(stderr, "sim rheometer: {}\n", server.apply_fault_command(fault));
  fmt::print("{}\n", server.port());
  std::fflush(stdout);
  fmt::print(stderr, "sim rheometer: DHR-3 simulator on {}:{} (speed x{}, sample {})\n", options.bind, server.port(),
             options.speed, options.sample_state);
  server.start_background();

  std::thread console([&server] {
    std::string line;
    while (std::getline(std::cin, line)) {
      if (line.empty()) continue;
      try {
        fmt::print(stderr, "sim rheometer: {}\n", server.apply_fault_command(line));
      } catch (const Error& e) {
        fmt::print(stderr, "sim rheometer: {}\n", e.what());
      }
    }
  });
  console.detach();  // blocked in getline until stdin closes; the process exit ends it

  int received = 0;
  sigwait(&stop_signals, &received);
  fmt::print(stderr, "sim rheometer: signal {}, stopping\n", received);
  server.stop();
  instrument.log_exit();
  instrument.set_event_log(nullptr);
}

}  // namespace

void add_sim_rheometer_command(CLI::App& sim) {
  auto options = std::make_shared<SimRheometerOptions>();
  auto* cmd = sim.add_subcommand("rheometer", "Simulated DHR-3 rheometer service (SCPI-style lines over TCP)");
  cmd->add_option("--port", options->port, "TCP port (0 = pick a free one; printed as the first stdout line)")
      ->capture_default_str();
  cmd->add_option("--bind", options->bind, "address to listen on")->capture_default_str();
  cmd->add_option("--speed", options->speed, "experiment seconds per wall second")->capture_default_str();
  cmd->add_option("--clock-origin-ns", options->clock_origin_ns,
                  "share the experiment clock of the process that started this one (host steady ns)");
  cmd->add_option("--seed", options->seed, "noise seed")->capture_default_str();
  cmd->add_option("--sample-state", options->sample_state, "as-cast or hpt")->capture_default_str();
  cmd->add_option("--fault", options->faults,
                  "fault switch, repeatable: drop, stall S, error [CODE], lose-sample, offline, online, "
                  "drop-at I, error-at I, lose-sample-at I, stall-at I S (I@RUN: only in the RUN-th run)");
  cmd->add_option("--event-log", options->event_log,
                  "write every START, point, run end and fired fault as CSV (t_mono_ns,event,run,index,detail)");
  cmd->callback([options] { run_sim_rheometer(*options); });
}

}  // namespace glasslab::app
