// `glasslab run` on DMA schedules end to end: the CLI as a separate process starts the simulated
// DHR-3 (its own process, loopback TCP), runs the queue into a real SQLite file, and the export
// and the stored analysis results are read back.
#include <doctest/doctest.h>
#include <signal.h>
#include <sqlite3.h>

#include <algorithm>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tests/support/process.hpp"
#include "tests/support/sqlite_db.hpp"

using glasslab::test::last_line;
using glasslab::test::run_process;
using glasslab::test::TempDir;

namespace {

const std::string kFixtures = std::string(GLASSLAB_SOURCE_DIR) + "/tests/e2e/dma/fixtures/";

using glasslab::test::Db;

}  // namespace

TEST_CASE("run --sim on a DMA ramp stores the points, exports them as CSV and fits the sweep when it ends") {
  TempDir tmp;
  const std::string db_path = tmp.path + "/runs.sqlite";
  auto result = run_process({GLASSLAB_BINARY, "run", kFixtures + "short_dma.toml", "--sim", "--speed", "400", "--db",
                             db_path, "--quiet"},
                            std::chrono::seconds(60));
  INFO("stderr: " << result.err);
  REQUIRE_FALSE(result.timed_out);
  REQUIRE(result.exit_code == 0);
  const std::string run_id = last_line(result.out);
  REQUIRE(run_id.find_first_not_of("0123456789") == std::string::npos);

  Db db(db_path);
  CHECK(db.scalar(fmt::format("SELECT exit_status FROM runs WHERE id = {}", run_id)) == "success");
  // 160 K at 10 K/min = 960 s; one round of 1, 3, 10 Hz (2 cycles each) takes ~2.9 s: ~300 rounds.
  const int points = std::stoi(db.scalar(fmt::format("SELECT count(*) FROM dma_points WHERE run_id = {}", run_id)));
  CHECK(points > 500);
  CHECK(std::stod(db.scalar(fmt::format("SELECT min(T_K) FROM dma_points WHERE run_id = {}", run_id))) < 205.0);
  CHECK(std::stod(db.scalar(fmt::format("SELECT max(T_K) FROM dma_points WHERE run_id = {}", run_id))) > 355.0);
  CHECK(db.scalar(fmt::format("SELECT count(DISTINCT frequency_Hz) FROM dma_points WHERE run_id = {}", run_id)) == "3");
  // The rheometer's configuration is stored with the run: the simulator's loopback port.
  CHECK(db.scalar(fmt::format("SELECT configuration_json FROM runs WHERE id = {}", run_id)).find("tcp:127.0.0.1:") !=
        std::string::npos);

  auto exported = run_process({GLASSLAB_BINARY, "export", run_id, "--stream", "dma", "--format", "csv", "--db", db_path},
                              std::chrono::seconds(30));
  REQUIRE(exported.exit_code == 0);
  const std::string header = exported.out.substr(0, exported.out.find('\n'));
  for (const char* column : {"t_utc", "T_K", "frequency_Hz", "storage_modulus_Pa", "loss_modulus_Pa", "tan_delta", "mode"})
    CHECK_MESSAGE(header.find(column) != std::string::npos, column);
  CHECK(std::count(exported.out.begin(), exported.out.end(), '\n') == points + 1);

  // The sweep's fit was computed when it ended: γ from three frequencies, near the paper's 0.28 eV.
  const auto fit_rows = db.rows(fmt::format("SELECT name, json FROM analysis_results WHERE run_id = {} AND kind = 'dma_fit'", run_id));
  REQUIRE(fit_rows.size() == 1);
  const auto fit = nlohmann::json::parse(fit_rows[0][1]);
  CHECK(fit.at("sweep_status") == "completed");
  CHECK(fit.at("status") == "ok");
  bool found_gamma = false;
  for (const auto& r : fit.at("relaxations")) {
    if (r.at("name") != "gamma") {
      // No data in the β and α windows: a status and a reason, never a number.
      CHECK(r.at("status") != "ok");
      CHECK(r.at("energy_eV").is_null());
      CHECK(!r.at("reason").get<std::string>().empty());
      continue;
    }
    found_gamma = true;
    REQUIRE(r.at("status") == "ok");
    CHECK(r.at("energy_eV").get<double>() == doctest::Approx(0.28).epsilon(0.25));
  }
  CHECK(found_gamma);
  const auto summary = nlohmann::json::parse(
      db.scalar(fmt::format("SELECT json FROM analysis_results WHERE run_id = {} AND kind = 'dma_queue_summary'", run_id)));
  CHECK(summary.at("completed") == 1);
  CHECK(summary.at("total_points") == points);
}

TEST_CASE("a queue whose middle sweep fails records the failure with its reason and completes the other two") {
  TempDir tmp;
  const std::string db_path = tmp.path + "/runs.sqlite";
  // Sweep 1 makes 4 points, so the instrument fault at point index 20 fires during sweep 2 only.
  auto result = run_process({GLASSLAB_BINARY, "run", kFixtures + "three_sweeps.toml", "--sim", "--speed", "400", "--db",
                             db_path, "--quiet", "--rheometer-sim-arg=--fault=error-at 20"},
                            std::chrono::seconds(60));
  INFO("stderr: " << result.err);
  REQUIRE_FALSE(result.timed_out);
  CHECK(result.exit_code == 0);  // documented in app/run_dma.cpp: data from 2 of 3 sweeps is a finished night
  const std::string run_id = last_line(result.out);
  Db db(db_path);
  const auto run = db.rows(fmt::format("SELECT exit_status, exit_reason FROM runs WHERE id = {}", run_id));
  REQUIRE(run.size() == 1);
  CHECK(run[0][0] == "success");
  CHECK(run[0][1].find("1 of 3 sweeps failed") != std::string::npos);
  CHECK(run[0][1].find("second, ramp") != std::string::npos);

  const auto failed = db.rows(fmt::format(
      "SELECT message FROM events WHERE run_id = {} AND source = 'rheometer' AND kind = 'sweep_failed'", run_id));
  REQUIRE(failed.size() == 1);
  CHECK(failed[0][0].find("second, ramp") != std::string::npos);
  CHECK(failed[0][0].find("301") != std::string::npos);  // the instrument's error code is the reason
  CHECK(db.scalar(fmt::format("SELECT count(*) FROM events WHERE run_id = {} AND kind = 'sweep_end'", run_id)) == "2");

  const auto summary = nlohmann::json::parse(
      db.scalar(fmt::format("SELECT json FROM analysis_results WHERE run_id = {} AND kind = 'dma_queue_summary'", run_id)));
  REQUIRE(summary.at("sweeps").size() == 3);
  CHECK(summary.at("sweeps")[0].at("status") == "completed");
  CHECK(summary.at("sweeps")[1].at("status") == "failed");
  CHECK(summary.at("sweeps")[1].at("failure_kind") == "instrument_error");
  CHECK(summary.at("sweeps")[2].at("status") == "completed");
  CHECK(summary.at("sweeps")[2].at("points") == 4);
  // The third sweep's points are in the store under its own step.
  CHECK(db.scalar(fmt::format("SELECT count(*) FROM dma_points WHERE run_id = {} AND step_index = 2", run_id)) == "4");
  // Every sweep got its sweep-end fit row, the failed one marked as such.
  const auto fits = db.rows(fmt::format("SELECT json FROM analysis_results WHERE run_id = {} AND kind = 'dma_fit' ORDER BY id", run_id));
  REQUIRE(fits.size() == 3);
  CHECK(nlohmann::json::parse(fits[1][0]).at("sweep_status") == "failed");
}

TEST_CASE("SIGINT during a DMA sweep closes the run as aborted, with the partial sweep recorded") {
  TempDir tmp;
  const std::string db_path = tmp.path + "/runs.sqlite";
  // One sweep of ~1250 experiment seconds (285 s of oven approach from room temperature to 200 K,
  // then 960 s of ramp) at x200: ~6 s of wall time, stopped after 3 s, inside the ramp.
  auto result = run_process({GLASSLAB_BINARY, "run", kFixtures + "short_dma.toml", "--sim", "--speed", "200", "--db",
                             db_path, "--quiet"},
                            std::chrono::seconds(60), [](int pid) {
                              std::this_thread::sleep_for(std::chrono::seconds(3));
                              kill(pid, SIGINT);
                            });
  INFO("stderr: " << result.err);
  REQUIRE_FALSE(result.timed_out);
  CHECK(result.exit_code == 3);
  const std::string run_id = last_line(result.out);
  Db db(db_path);
  CHECK(db.scalar(fmt::format("SELECT exit_status FROM runs WHERE id = {}", run_id)) == "aborted");
  CHECK(db.scalar(fmt::format("SELECT count(*) FROM events WHERE run_id = {} AND kind = 'sweep_aborted'", run_id)) == "1");
  CHECK(db.scalar(fmt::format("SELECT count(*) FROM events WHERE run_id = {} AND kind = 'sweep_end'", run_id)) == "0");
  // The points measured before the stop are kept, and the partial sweep's fit row says it was aborted.
  CHECK(std::stoi(db.scalar(fmt::format("SELECT count(*) FROM dma_points WHERE run_id = {}", run_id))) > 5);
  const auto fit = nlohmann::json::parse(
      db.scalar(fmt::format("SELECT json FROM analysis_results WHERE run_id = {} AND kind = 'dma_fit'", run_id)));
  CHECK(fit.at("sweep_status") == "aborted");
}
