// glasslab sim xrd: the simulated FT232H trigger box (behind a usbsim socket) and the simulated
// detector that writes one .gr file per frame. First stdout line: the connection string.
// Run-time control on stdin: "unplug" (the box vanishes: transfers fail with NO_DEVICE),
// "status" (prints counters), "quit".
#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include <fmt/format.h>
#include <poll.h>
#include <unistd.h>

#include "app/commands.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "sim/detector/detector.hpp"
#include "sim/detector/stage_truth.hpp"
#include "sim/trigger/ftdi_chip.hpp"
#include "sim/trigger/usb_socket_server.hpp"

namespace glasslab::app {

namespace {

std::atomic<bool> g_stop_requested{false};
void on_stop_signal(int) { g_stop_requested = true; }

struct SimXrdOptions {
  std::string socket_path;
  int port = -1;
  std::string out_dir;
  double speed = 1.0;
  std::string sample_state = "as_cast";
  std::string stage_truth = "const:293.15";
  double truth_offset_s = 0.0;
  std::int64_t clock_origin_ns = 0;  ///< 0: this process's own start
  std::uint64_t seed = 1;
  double stretch_ms = 5.0;
};

/// Reads control lines until "quit", a stop signal, or forever after stdin closes.
void control_loop(sim::trigger::FtdiChipModel& chip, sim::detector::SimDetector& detector) {
  std::string pending;
  bool stdin_open = true;
  while (!g_stop_requested.load()) {
    pollfd pfd{STDIN_FILENO, POLLIN, 0};
    const int ready = stdin_open ? ::poll(&pfd, 1, 200) : (::usleep(200'000), 0);
    if (ready <= 0) continue;
    char buffer[256];
    const ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
    if (n <= 0) {
      stdin_open = false;  // no controller attached: keep serving until a signal
      continue;
    }
    pending.append(buffer, static_cast<std::size_t>(n));
    for (std::size_t nl; (nl = pending.find('\n')) != std::string::npos;) {
      std::string line = pending.substr(0, nl);
      pending.erase(0, nl + 1);
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
      if (line == "unplug") {
        chip.unplug();
        fmt::print(stderr, "sim xrd: trigger box unplugged (every transfer now fails with LIBUSB_ERROR_NO_DEVICE)\n");
      } else if (line == "status") {
        fmt::print("pulses {} frames {} discarded {} ignored_short {}\n", chip.pulses_seen(), detector.written().size(),
                   detector.discarded_readouts(), detector.ignored_short_pulses());
        std::fflush(stdout);
      } else if (line == "quit") {
        return;
      } else if (!line.empty()) {
        fmt::print(stderr, "sim xrd: unknown control '{}' (known: unplug, status, quit)\n", line);
      }
    }
  }
}

void run_sim_xrd(const SimXrdOptions& o) {
  if ((o.socket_path.empty()) == (o.port < 0)) throw UsageError("sim xrd: give exactly one of --socket PATH or --port N");
  ScaledSteadyClock clock = o.clock_origin_ns != 0 ? ScaledSteadyClock(o.speed, o.clock_origin_ns) : ScaledSteadyClock(o.speed);
  auto truth = sim::detector::make_stage_truth(o.stage_truth, o.truth_offset_s);
  sim::detector::DetectorConfig config;
  config.out_dir = o.out_dir;
  config.sample_state = sim::detector::parse_sample_state(o.sample_state);
  config.seed = o.seed;
  sim::detector::SimDetector detector(clock, config, *truth);
  sim::trigger::FtdiChipModel::Options chip_options;
  chip_options.readback_stretch_ns = static_cast<std::int64_t>(o.stretch_ms * 1e6);
  sim::trigger::FtdiChipModel chip(
      clock, [&](std::int64_t t, std::int64_t width) { return detector.on_trigger(t, width); },
      [&] { detector.arm(); }, chip_options);
  auto server = o.socket_path.empty() ? sim::trigger::UsbSocketServer::on_tcp_port(chip, o.port)
                                      : sim::trigger::UsbSocketServer::on_unix_socket(chip, o.socket_path);
  std::signal(SIGTERM, on_stop_signal);
  std::signal(SIGINT, on_stop_signal);
  server.start();
  fmt::print("{}\n", server.connection_string());
  std::fflush(stdout);
  fmt::print(stderr, "sim xrd: FT232H trigger box on {}, detector writing to {}, sample {}, truth {}, speed {}\n",
             server.connection_string(), o.out_dir, o.sample_state, truth->description(), o.speed);
  control_loop(chip, detector);
  server.stop();
  fmt::print(stderr, "sim xrd: stopped after {} pulses, {} frames written, {} readouts discarded\n", chip.pulses_seen(),
             detector.written().size(), detector.discarded_readouts());
}

}  // namespace

void add_sim_xrd_command(CLI::App& sim) {
  auto options = std::make_shared<SimXrdOptions>();
  auto* cmd = sim.add_subcommand("xrd", "Simulated FT232H trigger box + flat-panel detector writing PDF (.gr) frames");
  cmd->add_option("--socket", options->socket_path, "Unix socket path to listen on (usbsim:PATH)");
  cmd->add_option("--port", options->port, "TCP port on 127.0.0.1 to listen on (0 = any free port)");
  cmd->add_option("--out", options->out_dir, "Folder the detector writes its frames to")->required();
  cmd->add_option("--speed", options->speed, "Experiment seconds per wall second")->check(CLI::PositiveNumber);
  cmd->add_option("--sample-state", options->sample_state,
                  "as_cast | hpt_rt_stored_rt | hpt_ln2_stored_ln2 | hpt_rt_stored_ln2 (paper's Table 2)");
  cmd->add_option("--stage-truth", options->stage_truth,
                  "True stage temperature: a Linkam truth log FILE, const:T_K or ramp:START_K:RATE_K_PER_MIN:END_K");
  cmd->add_option("--clock-origin-ns", options->clock_origin_ns,
                  "Share the experiment clock of the process that started this one (host steady ns)");
  cmd->add_option("--truth-offset-s", options->truth_offset_s,
                  "Added to the detector's experiment time before looking up the truth log");
  cmd->add_option("--seed", options->seed, "Noise seed (frames are reproducible)");
  cmd->add_option("--readback-stretch-ms", options->stretch_ms, "Pulse-stretcher time of the TRIG_OUT read-back");
  cmd->callback([options] { run_sim_xrd(*options); });
}

}  // namespace glasslab::app
