// `glasslab analyze RUN RUN` (issue 5, item 2): Seq(T) of two sample states shifted to overlap in
// the supercooled liquid, as in the paper's Fig. 2, so that they are compared in shape. The runs
// are the structural model's frames (docs/detector-model.md) for the as-cast state and the
// HPT (LN2) + stored (LN2) state, whose truths coincide in the liquid and differ by ~0.5 J/(mol K)
// in the glass (more excess disorder). The second run's G(r) carries a 2 % normalisation error, so
// its Seq is off by ~0.7 J/(mol K) until aligned.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tests/e2e/analyze/model_run.hpp"
#include "tests/support/process.hpp"

namespace fs = std::filesystem;
using namespace glasslab;

TEST_CASE("analyze RUN RUN aligns the states' Seq(T) in the liquid: the glass difference is the model's") {
  test::TempDir dir;
  const std::string db = dir.path + "/runs.sqlite";
  test::ModelRunSpec as_cast;
  as_cast.T_from_K = 540;
  as_cast.T_to_K = 800;
  const test::ModelRun first = test::record_model_run(db, dir.path + "/as_cast", as_cast);
  test::ModelRunSpec hpt = as_cast;
  hpt.state = sim::detector::SampleState::hpt_ln2_stored_ln2;
  hpt.G_scale = 1.02;
  hpt.seed_base = 5000;
  const test::ModelRun second = test::record_model_run(db, dir.path + "/hpt", hpt);

  const std::string out = dir.path + "/compare";
  const auto result = test::run_process({GLASSLAB_BINARY, "analyze", std::to_string(first.id), std::to_string(second.id),
                                         "--db", db, "--out", out, "--format", "json"},
                                        std::chrono::seconds(60));
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const auto report = nlohmann::json::parse(result.out);
  REQUIRE(report["runs"].size() == 2);
  const auto& comparison = report["comparison"];
  INFO(comparison.dump());
  CHECK(comparison["reference_run"] == first.id);
  const double from = comparison["liquid_window_K"][0], to = comparison["liquid_window_K"][1];
  CHECK(from > 709.0);
  CHECK(to < 790.0);
  REQUIRE(comparison["runs"].size() == 2);
  CHECK(comparison["runs"][0]["offset_J_per_mol_K"].get<double>() == doctest::Approx(0.0).epsilon(1e-9));
  const auto& aligned = comparison["runs"][1];
  REQUIRE(aligned["status"] == "ok");
  const double offset = aligned["offset_J_per_mol_K"];
  MESSAGE(fmt::format("offset {:.3f} J/(mol K) over {} points in [{:.1f}, {:.1f}] K, rms after {:.3f}", offset,
                      aligned["overlap_points"].get<int>(), from, to, aligned["rms_after_J_per_mol_K"].get<double>()));
  CHECK(offset > 0.5);  // 2 % of |Seq| ~ 34 J/(mol K)
  CHECK(offset < 0.85);
  CHECK(aligned["rms_after_J_per_mol_K"].get<double>() < 0.15);  // the counting noise of one frame

  // After the shift, the glass differs as the model's states do: the mean of the frames in
  // 580-660 K (40 per run; noise of the difference ~0.02 J/(mol K), the 2 % scale error adds ~0.02).
  auto glass_mean = [&](int k) {
    double sum = 0;
    int n = 0;
    for (const auto& frame : report["runs"][k]["frames"]) {
      const double T = frame["T_mid_K"];
      if (T < 580.0 || T > 660.0) continue;
      sum += frame["seq_J_per_mol_K"].get<double>();
      ++n;
    }
    REQUIRE(n > 30);
    return sum / n;
  };
  auto truth_mean = [](const test::ModelRun& run) {
    double sum = 0;
    int n = 0;
    for (std::size_t i = 0; i < run.T_mid_K.size(); ++i) {
      if (run.T_mid_K[i] < 580.0 || run.T_mid_K[i] > 660.0) continue;
      sum += run.truth_J_per_mol_K[i];
      ++n;
    }
    return sum / n;
  };
  const double measured = glass_mean(1) + offset - glass_mean(0);
  const double model = truth_mean(second) - truth_mean(first);
  MESSAGE(fmt::format("glass (580-660 K) after alignment: HPT - as cast = {:.3f} J/(mol K), model {:.3f}", measured, model));
  CHECK(model > 0.4);  // the states do differ in the glass
  CHECK(std::abs(measured - model) < 0.08);

  for (const char* stem : {"seq_T_aligned", "heat_flow_compare"})
    for (const char* ext : {".png", ".svg"}) CHECK(fs::exists(fs::path(out) / (std::string(stem) + ext)));
  CHECK(fs::exists(fs::path(out) / fmt::format("run-{}", first.id) / "seq_T.png"));
  CHECK(fs::exists(fs::path(out) / fmt::format("run-{}", second.id) / "heat_flow.svg"));
}
