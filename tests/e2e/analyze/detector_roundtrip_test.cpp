// Frames of the structural model written straight into a store (sim/detector GlassStructureModel,
// the same observed_G and file writer the simulated detector uses, with its Fourier truncation and
// counting noise) over a 10 K/min ramp 400 -> 790 K, one frame's file missing: `glasslab analyze
// RUN --db ... --format json` records the missing frame with its reason and goes on, recovers the
// model's Seq(T) and Tg, and writes the per-frame results into the store. The full paper protocol
// through the simulated instruments is paper_xrd_roundtrip_test.cpp.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "acquisition/store/run_reader.hpp"
#include "tests/e2e/analyze/model_run.hpp"
#include "tests/support/process.hpp"

namespace fs = std::filesystem;
using namespace glasslab;

namespace {

constexpr double kRate_K_per_min = 10.0;

struct SyntheticRun {
  acquisition::RunId id = 0;
  std::vector<double> T_mid_K, truth_J_per_mol_K;
  int broken_frame = -1;
};

/// Frames along ramp:400:10:790 (past Tg into the crystallization onset at 780 K; 12 s each,
/// 2 K per frame), one with a missing file.
SyntheticRun record_run(const std::string& db, const fs::path& frames_dir) {
  test::ModelRunSpec spec;
  spec.T_from_K = 400;
  spec.T_to_K = 790;
  spec.rate_K_per_min = kRate_K_per_min;
  spec.broken_frame = 65;  // a third of the 195 frames
  const test::ModelRun run = test::record_model_run(db, frames_dir, spec);
  return {run.id, run.T_mid_K, run.truth_J_per_mol_K, spec.broken_frame};
}

}  // namespace

TEST_CASE("analyze RUN recovers the structural model's Seq(T) and Tg from simulated detector frames") {
  test::TempDir dir;
  const std::string db = dir.path + "/runs.sqlite";
  fs::create_directories(dir.path + "/frames");
  const SyntheticRun run = record_run(db, dir.path + "/frames");

  const auto result = test::run_process({GLASSLAB_BINARY, "analyze", std::to_string(run.id), "--db", db, "--format", "json"},
                                        std::chrono::seconds(50));
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const auto report = nlohmann::json::parse(result.out);
  CHECK(report["run"] == run.id);
  // Heating rate from the frames' T_mid against time, not the default.
  CHECK(report["heating_rate_K_per_min"].get<double>() == doctest::Approx(kRate_K_per_min).epsilon(1e-6));
  CHECK(report["heating_rate_source"].get<std::string>().find("frames") != std::string::npos);

  // Seq per frame against the model's noiseless ground truth: the same shape; a constant offset
  // (Fourier truncation at Qmax = 24/A and the fitted rho0) is allowed and measured.
  std::vector<double> recovered;
  int failed = 0;
  for (const auto& frame : report["frames"]) {
    if (frame.contains("error")) {
      ++failed;
      CHECK(frame["error"].get<std::string>().find("never_written.gr") != std::string::npos);
      continue;
    }
    recovered.push_back(frame["seq_J_per_mol_K"].get<double>());
  }
  CHECK(failed == 1);
  REQUIRE(recovered.size() == run.truth_J_per_mol_K.size());
  double offset = 0;
  for (std::size_t i = 0; i < recovered.size(); ++i) offset += recovered[i] - run.truth_J_per_mol_K[i];
  offset /= static_cast<double>(recovered.size());
  double rms = 0;
  for (std::size_t i = 0; i < recovered.size(); ++i) rms += std::pow(recovered[i] - offset - run.truth_J_per_mol_K[i], 2);
  rms = std::sqrt(rms / static_cast<double>(recovered.size()));
  const double truth_span = *std::max_element(run.truth_J_per_mol_K.begin(), run.truth_J_per_mol_K.end()) -
                            *std::min_element(run.truth_J_per_mol_K.begin(), run.truth_J_per_mol_K.end());
  MESSAGE(fmt::format("Seq offset {:.4f} J/(mol K), shape rms {:.4f} J/(mol K), truth span {:.4f} J/(mol K)", offset,
                      rms, truth_span));
  CHECK(std::abs(offset) < 0.5);      // J/(mol K); Seq itself is about -30 J/(mol K)
  CHECK(rms < 0.1 * truth_span);      // the T-dependence is followed, not just the level

  // The glass transition of the model (Tg = 709 K) within 15 K: the step fit's scatter over noise
  // realizations is ~5 K (docs/analysis.md, "Transitions").
  INFO("features: ", report["series"]["features"].dump(), " criteria: ", report["series"]["feature_criteria"].dump());
  REQUIRE(report["series"]["Tg_K"].is_number());
  const double Tg = report["series"]["Tg_K"].get<double>();
  MESSAGE(fmt::format("Tg found at {:.1f} K (model 709 K)", Tg));
  CHECK(std::abs(Tg - 709.0) < 15.0);

  // Stored with the frames: one row per frame, the missing one failed with its reason.
  acquisition::RunReader reader(db);
  const auto rows = reader.frame_analysis(run.id);
  CHECK(rows.size() == recovered.size() + 1);
  int stored_failed = 0;
  for (const auto& row : rows) {
    if (row.status == "failed") {
      ++stored_failed;
      CHECK(row.frame_index == run.broken_frame);
      CHECK_FALSE(row.reason.empty());
    } else {
      CHECK(row.seq_J_per_mol_K.has_value());
    }
  }
  CHECK(stored_failed == 1);
  const auto results = reader.analysis_results(run.id);
  CHECK(std::any_of(results.begin(), results.end(), [](const auto& r) { return r.kind == "seq_series"; }));
  // The default report folder next to the database, with plots.
  const fs::path report_dir = fs::path(db).parent_path() / "reports" / fmt::format("run-{}", run.id);
  CHECK(fs::exists(report_dir / "report.json"));
  CHECK(fs::exists(report_dir / "seq_series.dat"));
}
