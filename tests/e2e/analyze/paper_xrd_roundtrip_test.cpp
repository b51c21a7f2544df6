// Round trip through the simulated detector over the paper's whole in-situ XRD protocol (issue 5,
// item 7): `glasslab run schedules/paper/xrd_insitu_heating.toml --sim` (T95 + FT232H trigger box +
// detector, 93.15 -> 873.15 K at 10 K/min, 12 s frames, cooled at 50 K/min, one last frame), then
// `glasslab analyze RUN`. The analysis is compared with the structural model's own truth, which
// every frame file carries in its header (docs/detector-model.md): `true_T_mid_K` and
// `seq_truth_kB_rmax10` (Eq. 2 of the noiseless, untruncated model), and with the model's
// parameters (Tg = 709 K, beta relaxation centred at 510 K).
//
// Tolerances, each from what limits it (measured on this protocol: docs/analysis.md, "Transitions"):
// - per-frame Seq: a constant offset (Fourier truncation at Qmax = 24/A, fitted rho0; ~0.28 J/(mol K))
//   below 0.5, and a scatter about truth + offset below 0.15 J/(mol K) (the counting noise of a
//   12 s frame gives ~0.085);
// - dSeq/dT: the rms difference to the model's slope within 2.5 x the reported standard error (noise
//   only; measured 1.7 x: the smoother also rounds the beta dip) in the glass and 3 x up to the
//   liquid's end (the model's slope jumps at Tg and a smoother rounds the jump), and below
//   0.002 J/(mol K^2) (the slope is 0.004 in the glass, -0.002 in the beta dip, 0.011 in the liquid);
// - Tg within 15 K of the model's 709 K: the step fit's scatter over noise realizations is ~5 K
//   (1 sigma), the stage's T_mid may lag the sample's truth by ~0.3 K at this speed;
// - crystallization onset within 5 K of the same construction on the noiseless truth;
// - a significant heat-flow dip in the beta window within 20 K of the model's beta relaxation.
// --speed 250 --poll-hz 1 keep the run to ~25 s (T_mid from 1-s stage readings: 0.17 K apart).
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "analysis/run_analysis.hpp"
#include "analysis/smoothing.hpp"
#include "sim/detector/glass_model.hpp"
#include "tests/support/process.hpp"

namespace fs = std::filesystem;
using namespace glasslab;

namespace {

constexpr double kGasConstant_J_per_mol_K = 8.314462618;
constexpr double kModelTg_K = 709.0;
constexpr double kModelBetaCentre_K = 510.0;
/// x250: the 93 min protocol in ~25 s. Faster, the simulated T95 misses replies (gaps of stage
/// readings, frames without T_mid or matched file) and its truth log, flushed every 10 ms of wall
/// time, falls behind the detector (frames made at a stale temperature).
constexpr const char* kSpeed = "250";

/// The truth a simulated frame carries in its header.
struct FrameTruth {
  double T_mid_K = NAN;
  double seq_J_per_mol_K = NAN;
};

FrameTruth read_frame_truth(const std::string& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in, "cannot open frame " << path);
  FrameTruth truth;
  std::string line;
  while (std::getline(in, line) && line.rfind("####", 0) != 0) {
    std::istringstream fields(line);
    std::string key, equals;
    double value = NAN;
    if (!(fields >> key >> equals >> value) || equals != "=") continue;
    if (key == "true_T_mid_K") truth.T_mid_K = value;
    if (key == "seq_truth_kB_rmax10") truth.seq_J_per_mol_K = value * kGasConstant_J_per_mol_K;
  }
  REQUIRE_MESSAGE(std::isfinite(truth.T_mid_K), path << " has no true_T_mid_K");
  REQUIRE_MESSAGE(std::isfinite(truth.seq_J_per_mol_K), path << " has no seq_truth_kB_rmax10");
  return truth;
}

double median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

}  // namespace

TEST_CASE("paper XRD protocol on the simulated instruments: analyze RUN recovers the model's Seq(T), Tg and crystallization") {
  test::TempDir dir;
  const std::string db = dir.path + "/runs.sqlite";
  const std::string schedule = std::string(GLASSLAB_SOURCE_DIR) + "/schedules/paper/xrd_insitu_heating.toml";
  const auto run = test::run_process({GLASSLAB_BINARY, "run", schedule, "--sim", "--speed", kSpeed, "--poll-hz", "1", "--db", db, "--quiet"},
                                     std::chrono::seconds(150));
  INFO("run stderr: ", run.err);
  REQUIRE_FALSE(run.timed_out);
  REQUIRE(run.exit_code == 0);
  const std::string run_id = test::last_line(run.out);
  const std::string report_dir = dir.path + "/report";
  const auto analyzed = test::run_process(
      {GLASSLAB_BINARY, "analyze", run_id, "--db", db, "--out", report_dir, "--format", "json"}, std::chrono::seconds(60));
  INFO("analyze stderr: ", analyzed.err);
  REQUIRE(analyzed.exit_code == 0);
  const auto report = nlohmann::json::parse(analyzed.out);
  const auto& series = report["series"];
  REQUIRE(series.is_object());

  // Every heating frame analysed; the frame after cooling is stored but kept out of Seq(T). On a
  // loaded machine the simulated run can lose a few frames (status 'missed', 'unmatched_file') or
  // stage readings (a frame without T_mid): those are the run's record, not analysis failures; the
  // analysis must cope with them, and they must stay rare (5 %).
  std::vector<double> T_mid, seq, truth_T, truth_seq, T_lag;
  int without_T_mid = 0, not_acquired = 0;
  for (const auto& frame : report["frames"]) {
    if (frame.contains("error")) {
      const std::string error = frame["error"].get<std::string>();
      CHECK_MESSAGE(error.find("has status") != std::string::npos, error);
      MESSAGE(error);
      ++not_acquired;
      continue;
    }
    if (!frame.contains("T_mid_K")) {
      ++without_T_mid;
      continue;
    }
    const FrameTruth truth = read_frame_truth(frame["file"].get<std::string>());
    T_mid.push_back(frame["T_mid_K"].get<double>());
    seq.push_back(frame["seq_J_per_mol_K"].get<double>());
    truth_T.push_back(truth.T_mid_K);
    truth_seq.push_back(truth.seq_J_per_mol_K);
    T_lag.push_back(T_mid.back() - truth.T_mid_K);
  }
  CHECK(without_T_mid + not_acquired <= 20);
  REQUIRE(T_mid.size() >= 370);  // 780 K at 2 K per frame
  CHECK(T_mid.front() < 110.0);
  CHECK(T_mid.back() > 860.0);
  MESSAGE(fmt::format("{} heating frames {:.1f}-{:.1f} K ({} without T_mid); stage T_mid - sample truth: median {:.2f} K",
                      T_mid.size(), T_mid.front(), T_mid.back(), without_T_mid, median(T_lag)));
  CHECK(std::abs(median(T_lag)) < 1.5);

  // Seq(T) against the model's truth: a constant offset, then the counting noise only.
  double offset = 0;
  for (std::size_t i = 0; i < seq.size(); ++i) offset += seq[i] - truth_seq[i];
  offset /= static_cast<double>(seq.size());
  double scatter = 0;
  for (std::size_t i = 0; i < seq.size(); ++i) scatter += std::pow(seq[i] - offset - truth_seq[i], 2);
  scatter = std::sqrt(scatter / static_cast<double>(seq.size()));
  const auto [lo, hi] = std::minmax_element(truth_seq.begin(), truth_seq.end());
  MESSAGE(fmt::format("Seq - truth: offset {:.3f}, scatter {:.3f} J/(mol K) over a truth span of {:.2f}", offset,
                      scatter, *hi - *lo));
  CHECK(*hi - *lo > 15.0);  // the crystallization fall is in the series
  CHECK(std::abs(offset) < 0.5);
  CHECK(scatter < 0.15);

  // Crystallization against the same construction on the noiseless truth.
  analysis::SeqSeriesOptions options;
  options.features.Tg_hint_K = kModelTg_K;
  const analysis::SeqSeriesAnalysis truth_analysis = analysis::analyze_seq_series(truth_T, truth_seq, options);
  REQUIRE(truth_analysis.crystallization);
  REQUIRE(series["crystallization_onset_K"].is_number());
  const double onset = series["crystallization_onset_K"].get<double>();
  // Frames lost under load leave a hole in T. One at the onset moves both onsets by up to its width
  // (once in CI, a missed frame at 791 K and six without T_mid put them 8.5 K apart), so the bound
  // is 5 K or the widest step in T there.
  const double truth_onset = truth_analysis.crystallization->onset_K;
  std::vector<double> sorted_T = T_mid;
  std::sort(sorted_T.begin(), sorted_T.end());
  double hole_K = 0;
  for (std::size_t i = 1; i < sorted_T.size(); ++i)
    if (sorted_T[i] > truth_onset - 10.0 && sorted_T[i - 1] < truth_onset + 10.0)
      hole_K = std::max(hole_K, sorted_T[i] - sorted_T[i - 1]);
  const double onset_bound_K = std::max(5.0, hole_K);
  MESSAGE(fmt::format("crystallization onset {:.1f} K (noiseless truth: {:.1f} K); widest T step within 10 K of it "
                      "{:.1f} K, bound {:.1f} K", onset, truth_onset, hole_K, onset_bound_K));
  CHECK(std::abs(onset - truth_onset) < onset_bound_K);
  const double liquid_end = series["crystallization"]["liquid_end_K"].get<double>();
  CHECK(liquid_end > kModelTg_K + 40.0);
  CHECK(liquid_end < onset);

  // The glass transition.
  const auto& tg = series["glass_transition"];
  INFO("glass transition: ", tg.dump());
  REQUIRE(tg["status"] == "ok");
  const double Tg = series["Tg_K"].get<double>();
  MESSAGE(fmt::format("Tg {:.1f} K, 1-sigma interval {} K (model 709 K; noiseless truth by the same fit {:.1f} K)", Tg,
                      tg["Tg_interval_K"].dump(), truth_analysis.glass_transition.Tg_K.value_or(NAN)));
  CHECK(std::abs(Tg - kModelTg_K) < 15.0);
  CHECK(tg["step_significance_sigma"].get<double>() > 3.0);
  CHECK(tg["slope_liquid_J_per_mol_K2"].get<double>() > 2 * tg["slope_glass_J_per_mol_K2"].get<double>());

  // dSeq/dT (the heat flow's shape) below crystallization against the model's own slope along a
  // heating (its Seq on a 1-K grid, the history advanced to each temperature).
  std::vector<double> model_T, model_seq;
  {
    sim::detector::GlassStructureModel model(sim::detector::SampleState::as_cast);
    for (double T = 93.15; T <= 873.15; T += 1.0) {
      model.advance_to(T);
      model_T.push_back(T);
      model_seq.push_back(model.seq_kB(T) * kGasConstant_J_per_mol_K);
    }
  }
  const std::vector<double> truth_slope = analysis::nonuniform_derivative(model_T, model_seq);
  const auto T_series = series["T_K"].get<std::vector<double>>();
  const auto slope_series = series["dseq_dT_J_per_mol_K2"].get<std::vector<double>>();
  // The difference to the truth's slope against the reported standard error of the slope (noise
  // only): in the glass (from 10 K above the series' start, the smoother's edge, to 20 K below Tg,
  // where the truth's slope jumps and a smoother can only round it) and up to the liquid's end.
  const auto& stderr_json = series["dseq_dT_stderr_J_per_mol_K2"];
  auto rms_over = [&](double from_K, double to_K) {
    double sq = 0, sq_stderr = 0;
    int n = 0;
    for (std::size_t i = 0; i < T_series.size(); ++i) {
      if (T_series[i] < from_K || T_series[i] > to_K) continue;
      sq += std::pow(slope_series[i] - analysis::interpolate_linear(model_T, truth_slope, T_series[i]), 2);
      sq_stderr += std::pow(stderr_json[i].get<double>(), 2);
      ++n;
    }
    return std::make_pair(std::sqrt(sq / n), std::sqrt(sq_stderr / n));
  };
  const auto [glass_rms, glass_stderr] = rms_over(T_series.front() + 10.0, kModelTg_K - 20.0);
  const auto [all_rms, all_stderr] = rms_over(T_series.front() + 10.0, liquid_end - 10.0);
  MESSAGE(fmt::format("dSeq/dT - truth: rms {:.5f} J/(mol K^2) in the glass (reported stderr {:.5f}), {:.5f} up to "
                      "the liquid's end (stderr {:.5f})", glass_rms, glass_stderr, all_rms, all_stderr));
  CHECK(glass_rms < 2.5 * glass_stderr);
  CHECK(all_rms < 3.0 * all_stderr);
  CHECK(all_rms < 0.002);  // a fifth of the liquid's slope

  // The beta relaxation: a significant heat-flow dip, labelled beta, near the model's 510 K.
  bool beta_dip = false;
  for (const auto& f : series["features"]) {
    CHECK(f["significance_sigma"].get<double>() >= 3.0);
    if (f["kind"] == "heat_flow_dip" && f["label"] == "beta")
      beta_dip = beta_dip || std::abs(f["T_K"].get<double>() - kModelBetaCentre_K) < 20.0;
  }
  INFO("features: ", series["features"].dump());
  CHECK(beta_dip);

  for (const char* stem : {"seq_T", "heat_flow"}) {
    for (const char* ext : {".png", ".svg"}) {
      const fs::path image = fs::path(report_dir) / (std::string(stem) + ext);
      CHECK_MESSAGE(fs::exists(image), image);
      if (fs::exists(image)) CHECK(fs::file_size(image) > 10'000);
    }
  }
}
