// bench_xrd_frame_period [frames=60] [period_s=0.5]
// Frame-start period error over N frames at speed 1: the FT232H driver -> usbsim socket ->
// simulated trigger box + detector, paced by run_pulse_train (absolute deadlines on the Clock).
// Beside it, the peer: naive pacing with sleep_for(period) after each pulse, which accumulates
// the pulse's own duration and the wake-up latency into every period.
// Figures: the period between consecutive frame starts as the detector saw them (the simulator
// stamps each ADBUS0 rising edge on the shared clock), error = measured - nominal.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <unistd.h>

#include "core/clock.hpp"
#include "drivers/trigger/ft232h_trigger.hpp"
#include "drivers/trigger/pulse_train.hpp"
#include "sim/detector/detector.hpp"
#include "sim/trigger/ftdi_chip.hpp"
#include "sim/trigger/usb_socket_server.hpp"

using namespace glasslab;
namespace fs = std::filesystem;

namespace {

struct Stats {
  double p50_ms, p99_ms, max_ms, mean_ms;
};

Stats period_errors(const std::vector<std::int64_t>& starts_ns, std::int64_t period_ns) {
  std::vector<double> errors;
  double sum = 0;
  for (std::size_t i = 1; i < starts_ns.size(); ++i) {
    const double e = std::abs(static_cast<double>(starts_ns[i] - starts_ns[i - 1] - period_ns)) * 1e-6;
    errors.push_back(e);
    sum += e;
  }
  std::sort(errors.begin(), errors.end());
  auto pct = [&](double p) { return errors[std::min(errors.size() - 1, static_cast<std::size_t>(p * static_cast<double>(errors.size() - 1) + 0.5))]; };
  return {pct(0.5), pct(0.99), errors.back(), sum / static_cast<double>(errors.size())};
}

/// Runs one train on a fresh simulator; returns the frame starts the simulator saw.
template <typename Pacer>
std::vector<std::int64_t> run_once(const std::string& name, int frames, Pacer&& pace) {
  const fs::path dir = fs::temp_directory_path() / fmt::format("glasslab-bench-xrd-{}-{}", name, ::getpid());
  fs::remove_all(dir);
  ScaledSteadyClock clock(1.0);
  sim::detector::ConstantTruth truth(300.0);
  sim::detector::DetectorConfig config;
  config.out_dir = dir / "frames";
  sim::detector::SimDetector detector(clock, config, truth);
  std::vector<std::int64_t> starts;
  sim::trigger::FtdiChipModel chip(
      clock,
      [&](std::int64_t t, std::int64_t w) {
        starts.push_back(t);
        return detector.on_trigger(t, w);
      },
      [&] { detector.arm(); }, {});
  auto server = sim::trigger::UsbSocketServer::on_unix_socket(chip, (dir / "ftdi.sock").string());
  server.start();
  auto owned = trigger::open_ft232h_trigger_box(server.connection_string(), clock);
  owned.box->arm();
  pace(*owned.box, clock, frames + 1);
  owned.box->disarm();
  server.stop();
  fs::remove_all(dir);
  return starts;
}

}  // namespace

int main(int argc, char** argv) {
  const int frames = argc > 1 ? std::stoi(argv[1]) : 60;
  const double period_s = argc > 2 ? std::stod(argv[2]) : 0.5;
  const auto period_ns = static_cast<std::int64_t>(period_s * 1e9);

  const auto paced = run_once("paced", frames, [&](trigger::TriggerBox& box, const Clock& clock, int pulses) {
    std::vector<trigger::TrainPulse> out;
    trigger::run_pulse_train(box, clock, {clock.mono_ns() + 100'000'000, period_ns, pulses, std::chrono::microseconds(20)}, out);
  });
  const auto naive = run_once("naive", frames, [&](trigger::TriggerBox& box, const Clock&, int pulses) {
    for (int i = 0; i < pulses; ++i) {
      box.pulse(std::chrono::microseconds(20));
      std::this_thread::sleep_for(std::chrono::nanoseconds(period_ns));
    }
  });
  const Stats a = period_errors(paced, period_ns), b = period_errors(naive, period_ns);
  fmt::print("frame-start period error, {} frames of {} s at speed 1 (FT232H driver -> usbsim -> simulated detector)\n",
             frames, period_s);
  fmt::print("{:<44} {:>9} {:>9} {:>9} {:>9}\n", "pacing", "p50 ms", "p99 ms", "max ms", "mean ms");
  fmt::print("{:<44} {:>9.4f} {:>9.4f} {:>9.4f} {:>9.4f}\n", "run_pulse_train (absolute deadlines)", a.p50_ms, a.p99_ms, a.max_ms, a.mean_ms);
  fmt::print("{:<44} {:>9.4f} {:>9.4f} {:>9.4f} {:>9.4f}\n", "peer: sleep_for(period) after each pulse", b.p50_ms, b.p99_ms, b.max_ms, b.mean_ms);
  fmt::print("target: p99 <= 1 ms. {}\n", a.p99_ms <= 1.0 ? "met" : "NOT met");
  return 0;
}
