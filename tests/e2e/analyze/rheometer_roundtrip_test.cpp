// Round trip through the simulated rheometer (issue 5, item 7): `glasslab sim rheometer` as a
// child process (port on its first stdout line), one DMA heating ramp 150 -> 800 K at 5
// frequencies (0.05..15 Hz) driven over TCP by the real RheometerClient, the points written into
// a real SQLite run store as a run's DMA stream, then `glasslab analyze RUN --format json`. The
// paper's activation energies (alpha 7.51, beta 1.29, gamma 0.28 eV; the simulator's model uses
// them) must come back within the fit's stated uncertainty or 10 %, whichever is larger.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <map>
#include <string>
#include <thread>
#include <vector>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "acquisition/store/run_reader.hpp"
#include "acquisition/store/run_store.hpp"
#include "drivers/rheometer/client.hpp"
#include "tests/support/process.hpp"

using namespace glasslab;

namespace {

/// `glasslab sim rheometer --port 0 --speed S` with its stdout on a pipe; SIGTERM on destruction.
struct SimRheometer {
  explicit SimRheometer(double speed) {
    int from_child[2];
    REQUIRE(pipe(from_child) == 0);
    pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      dup2(from_child[1], STDOUT_FILENO);
      close(from_child[0]);
      const std::string speed_text = fmt::format("{}", speed);
      execl(GLASSLAB_BINARY, GLASSLAB_BINARY, "sim", "rheometer", "--port", "0", "--speed", speed_text.c_str(), "--seed",
            "5", static_cast<char*>(nullptr));
      _exit(127);
    }
    close(from_child[1]);
    stdout_file = fdopen(from_child[0], "r");
    char line[64] = {};
    REQUIRE(std::fgets(line, sizeof line, stdout_file) != nullptr);
    port = static_cast<std::uint16_t>(std::stoi(line));
  }
  ~SimRheometer() {
    if (pid > 0) {
      kill(pid, SIGTERM);
      waitpid(pid, nullptr, 0);
    }
    if (stdout_file) std::fclose(stdout_file);
  }
  pid_t pid = -1;
  FILE* stdout_file = nullptr;
  std::uint16_t port = 0;
};

acquisition::DmaPoint to_record(const rheometer::DataPoint& p, const std::string& sweep) {
  acquisition::DmaPoint d;
  d.t_mono_ns = static_cast<std::int64_t>(p.time_s * 1e9);
  d.instrument_index = p.index;
  d.sweep = sweep;
  d.T_K = p.T_K;
  d.frequency_Hz = p.frequency_Hz;
  d.storage_modulus_Pa = p.storage_Pa;
  d.loss_modulus_Pa = p.loss_Pa;
  d.tan_delta = p.tan_delta;
  d.strain_pct = p.strain_pct;
  d.torque_Nm = p.torque_Nm;
  d.mode = std::string(rheometer::to_string(p.mode));
  return d;
}

/// One ramp on the simulator, every point recorded; returns the number of points.
std::size_t drive_ramp(std::uint16_t port, acquisition::RunStore& store) {
  rheometer::ClientOptions options;
  options.port = port;
  options.reply_timeout = std::chrono::milliseconds(3000);
  rheometer::RheometerClient client(options);
  rheometer::SweepConfiguration c;
  c.mode = rheometer::Mode::torsion;
  c.frequencies_Hz = {0.05, 0.2, 1, 5, 15};
  c.delay_cycles = 1;
  c.acquisition_cycles = 3;
  // One cycle of the 5 frequencies takes ~107 s of experiment time; 1.2 K/min gives ~2 K per
  // point at each frequency, enough points across the narrow alpha peak.
  c.temperature = rheometer::TemperatureRamp{150, 800, 1.2};
  client.configure(c);
  client.start();
  std::size_t points = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(45);
  for (;;) {
    for (const auto& p : client.fetch_new_points()) {
      store.record(to_record(p, "ramp"));
      ++points;
    }
    const auto status = client.status();
    REQUIRE_FALSE(status.faulted());
    if (!status.running()) break;
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  for (const auto& p : client.fetch_new_points()) {
    store.record(to_record(p, "ramp"));
    ++points;
  }
  return points;
}

}  // namespace

TEST_CASE("analyze RUN recovers the paper's activation energies from a simulated DHR-3 ramp") {
  test::TempDir dir;
  const std::string db = dir.path + "/runs.sqlite";
  acquisition::RunId run_id = 0;
  std::size_t points = 0;
  {
    SimRheometer sim(8000);
    REQUIRE(sim.port != 0);
    acquisition::RunStore store(db);
    acquisition::RunStart start;
    start.sample_json = R"({"name":"dma roundtrip","state":"as_cast"})";
    run_id = store.begin_run(start);
    const auto t0 = std::chrono::steady_clock::now();
    points = drive_ramp(sim.port, store);
    MESSAGE(fmt::format("{} DMA points in {:.1f} s wall", points,
                        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()));
    store.end_run(run_id, {});
  }
  REQUIRE(points > 500);

  const auto result = test::run_process({GLASSLAB_BINARY, "analyze", std::to_string(run_id), "--db", db, "--format", "json"},
                                        std::chrono::seconds(30));
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const auto report = nlohmann::json::parse(result.out);
  REQUIRE(report["dma"].is_object());
  // The paper's Table 1: alpha 7.51 +- 0.93, beta 1.29 +- 0.31, gamma 0.28 +- 0.02 eV. Issue 5: each
  // recovered within its stated uncertainty or 10 %, whichever is larger.
  const std::map<std::string, double> paper{{"alpha", 7.51}, {"beta", 1.29}, {"gamma", 0.28}};
  const std::map<std::string, double> paper_uncertainty{{"alpha", 0.93}, {"beta", 0.31}, {"gamma", 0.02}};
  std::string gamma_fits;  // per-frequency peak outcomes, shown when an energy is missing
  for (const auto& f : report["dma"]["frequencies"])
    for (const auto& peak : f["peaks"]) gamma_fits += peak.dump() + "\n";
  INFO(gamma_fits);
  int checked = 0;
  for (const auto& relaxation : report["dma"]["relaxations"]) {
    const std::string name = relaxation["name"];
    INFO(name, ": ", relaxation.dump());
    REQUIRE(paper.count(name) == 1);
    if (!relaxation["activation_energy_eV"].is_number()) {
      FAIL_CHECK(name, " has no activation energy: ", relaxation["reason"].get<std::string>());
      continue;
    }
    const double E = relaxation["activation_energy_eV"];
    const double stderr_eV = relaxation["activation_energy_eV_stderr"].is_number()
                                 ? relaxation["activation_energy_eV_stderr"].get<double>() : 0.0;
    MESSAGE(fmt::format("{}: {:.3f} +- {:.3f} eV (paper {:.2f})", name, E, stderr_eV, paper.at(name)));
    CHECK(std::abs(E - paper.at(name)) <= std::max(paper_uncertainty.at(name), 0.10 * paper.at(name)));
    CHECK(stderr_eV > 0);  // the fit states its own uncertainty
    CHECK(relaxation["peak_temperatures_K"].size() >= 3);
    ++checked;
  }
  CHECK(checked == 3);

  // The fits are stored as derived results of the run.
  acquisition::RunReader reader(db);
  const auto results = reader.analysis_results(run_id);
  CHECK(std::count_if(results.begin(), results.end(), [](const auto& r) { return r.kind == "dma_arrhenius"; }) == 3);
}
