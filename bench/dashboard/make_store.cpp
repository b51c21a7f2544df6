// Writes a run store holding one finished run of N stage readings (default 1,000,000: a 10 Hz log
// of 28 hours), a slow ramp with noise and a few spikes, for bench_dashboard.mjs.
//
// Usage: bench_dashboard_make_store DB [READINGS]
#include <cmath>
#include <cstdlib>
#include <random>

#include <fmt/format.h>

#include "acquisition/store/run_store.hpp"

using namespace glasslab::acquisition;

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: {} DB [READINGS]\n", argv[0]);
    return 2;
  }
  const long readings = argc > 2 ? std::atol(argv[2]) : 1'000'000;
  constexpr std::int64_t kStartMono = 1'000'000'000'000, kStartUtc = 1'764'000'000'000'000'000, kPeriod = 100'000'000;
  RunStore store(argv[1]);
  RunStart start;
  start.schedule_path = "bench/dashboard (synthetic)";
  start.schedule_text = "[schedule]\ntitle = \"bench: 1 million stage readings\"\n";
  start.sample_json = R"({"name":"bench disc","state":"as_cast"})";
  start.configuration_json = R"({"simulated":true,"speed":1})";
  start.start_mono_ns = kStartMono;
  start.start_utc_ns = kStartUtc;
  const RunId run = store.begin_run(start);
  std::mt19937 random(6);
  std::normal_distribution<double> noise(0.0, 0.05);
  for (long i = 0; i < readings; ++i) {
    StageReading r;
    r.t_mono_ns = kStartMono + i * kPeriod;
    r.t_utc_ns = kStartUtc + i * kPeriod;
    r.setpoint_K = 93.15 + 780.0 * static_cast<double>(i) / static_cast<double>(readings);
    r.T_K = r.setpoint_K - 0.8 + noise(random) + (i % 99'991 == 0 ? 25.0 : 0.0);
    r.rate_K_per_min = 10;
    r.status_code = 0x10;
    r.status = "heating";
    r.step_index = 0;
    store.record(r);
  }
  store.end_run(run, RunStop{ExitStatus::success, "synthetic", kStartMono + readings * kPeriod, kStartUtc + readings * kPeriod});
  store.flush();
  fmt::print("run {}: {} stage readings in {}\n", run, readings, argv[1]);
  return 0;
}
