// glasslab sim linkam: a simulated Linkam T95 on a pseudo-terminal (docs/simulators.md).
#include <atomic>
#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

#include <fmt/format.h>

#include "app/commands.hpp"
#include "core/clock.hpp"
#include "sim/linkam/simulator.hpp"

namespace glasslab::app {

namespace {

std::atomic<bool> g_linkam_sim_stop{false};

// Async-signal-safe: only stores to a lock-free atomic that the serve loop polls.
void request_linkam_sim_stop(int) { g_linkam_sim_stop.store(true); }

void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = request_linkam_sim_stop;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: poll() returns at once with EINTR
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  std::signal(SIGPIPE, SIG_IGN);  // a closed stdout must not kill the simulator mid-run
}

void run_linkam_sim(sim::linkam::LinkamSimOptions options) {
  options.control_in_fd = STDIN_FILENO;
  options.control_out_fd = STDOUT_FILENO;
  install_stop_handlers();
  sim::linkam::LinkamSimulator simulator(std::move(options));
  // The stable path alone on the first line, flushed: scripts and tests read it to connect.
  fmt::print("{}\n", simulator.device_path());
  std::fflush(stdout);
  simulator.run(g_linkam_sim_stop);
}

}  // namespace

void add_sim_linkam_command(CLI::App& sim) {
  auto options = std::make_shared<sim::linkam::LinkamSimOptions>();
  auto* cmd = sim.add_subcommand(
      "linkam",
      "Simulated Linkam T95 + THMS600 + LNP95 on a pseudo-terminal: prints the stable device path as the first "
      "line of stdout, then serves the T95 serial protocol. Run-time fault lines on stdin: drop S, garbage N, "
      "late MS, silent S, open_circuit on|off, runaway on|off, overshoot K, status");
  cmd->add_option("--speed", options->speed, "Experiment seconds per wall second")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--initial-K", options->initial_K, "Sample temperature at power-on, K")
      ->check(CLI::Range(77.0, 873.15))
      ->capture_default_str();
  cmd->add_option("--ambient-K", options->ambient_K, "Room temperature, K")
      ->check(CLI::Range(250.0, 320.0))
      ->capture_default_str();
  cmd->add_option("--link", options->link_path,
                  "Stable symlink to the pty (default: <tmp>/glasslab-linkam-XXXXXX/linkam-tty)");
  cmd->add_option("--seed", options->seed, "Seed of the sensor noise and of garbage replies")->capture_default_str();
  cmd->add_option("--noise-K", options->noise_K, "Sigma of the Gaussian sensor noise, K")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_flag("--pump-auto", options->pump_auto_at_power_on,
                "Start the LN2 pump in automatic mode (default: manual, speed 0, as if never set)");
  cmd->add_option("--fault", options->faults,
                  "Scheduled fault, repeatable: COMMAND[:ARG][@T_s], e.g. drop:5@60, garbage:3@10, late:800, "
                  "silent:10@30, open_circuit:on@120, runaway:on@60, overshoot:15 (T_s = experiment seconds after start)");
  cmd->add_option("--truth-log", options->truth_log_path,
                  "Write the true state (t_s,T_K,setpoint_K,state,clock_mono_ns) as CSV to FILE");
  cmd->add_option("--truth-interval", options->truth_interval_s, "Experiment seconds between truth-log lines")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--reply-log", options->reply_log_path,
                  "Write every T reply (t_mono_ns,reply,hex,fate: sent, garbled, lost_in_drop, lost_on_line), every "
                  "applied fault and the state at exit as CSV to FILE");
  auto clock_origin_ns = std::make_shared<std::int64_t>(0);
  cmd->add_option("--clock-origin-ns", *clock_origin_ns,
                  "Share the experiment clock of the process that started this one (host steady ns)");
  cmd->callback([options, clock_origin_ns] {
    if (*clock_origin_ns != 0) options->clock = std::make_shared<ScaledSteadyClock>(options->speed, *clock_origin_ns);
    run_linkam_sim(*options);
  });
}

}  // namespace glasslab::app
