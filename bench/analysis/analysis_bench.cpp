// bench/analysis: Seq of one 4,000-point G(r) and a whole run (400 frames Seq, smoothing, heat
// flow, 5-frequency 3-peak DMA fit) with Google Benchmark; then the NumPy/SciPy reference
// (reference.py) runs as a subprocess on the same files and both are compared: timings,
// speed-up, and Seq agreement. Usage: analysis_bench --inputs DIR [--reference reference.py] [benchmark flags]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <hwy/targets.h>
#include <nlohmann/json.hpp>

#include "analysis/run_analysis.hpp"

using namespace glasslab::analysis;

namespace {

struct Inputs {
  std::vector<std::string> files;
  std::vector<double> T_mid_K;
  std::vector<PdfData> frames;
  std::vector<DmaSample> dma;
};

Inputs g_inputs;
constexpr double kBenchRMax_A = 40.0;  // the whole 4,000-point curve is integrated

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Inputs load(const std::filesystem::path& dir) {
  Inputs in;
  std::istringstream list(slurp(dir / "frames.csv"));
  std::string line;
  std::getline(list, line);  // header
  while (std::getline(list, line)) {
    const auto comma = line.find(',');
    in.files.push_back(line.substr(0, comma));
    in.T_mid_K.push_back(std::stod(line.substr(comma + 1)));
    in.frames.push_back(parse_pdf_text(slurp(dir / in.files.back()), in.files.back()));
  }
  in.dma = parse_dma_csv(slurp(dir / "dma.csv"), "dma.csv", DmaObservable::tan_delta);
  return in;
}

SeqOptions bench_seq_options() {
  SeqOptions options;
  options.r_max_A = kBenchRMax_A;
  return options;
}

struct WholeRun {
  std::vector<double> seq_kB;
  SeqSeriesAnalysis series;
  DmaAnalysis dma;
};

WholeRun whole_run(const Inputs& in) {
  WholeRun run;
  const SeqOptions options = bench_seq_options();
  std::vector<double> seq_J;
  for (const PdfData& frame : in.frames) {
    const SeqResult r = compute_seq(frame, options);
    run.seq_kB.push_back(r.seq_kB_per_atom);
    seq_J.push_back(r.seq_J_per_mol_K);
  }
  SeqSeriesOptions series_options;
  series_options.features.Tg_hint_K = 709.0;
  run.series = analyze_seq_series(in.T_mid_K, seq_J, series_options);
  run.dma = analyze_dma(in.dma);
  return run;
}

void BM_Seq4000(benchmark::State& state) {
  const PdfData& frame = g_inputs.frames.front();
  const SeqOptions options = bench_seq_options();
  for (auto _ : state) benchmark::DoNotOptimize(compute_seq(frame, options).seq_kB_per_atom);
  state.counters["points"] = static_cast<double>(frame.r_A.size());
}

void BM_Seq4000_IntegralOnly(benchmark::State& state) {
  const PdfData& frame = g_inputs.frames.front();
  for (auto _ : state) benchmark::DoNotOptimize(seq_kB_per_atom(frame.r_A, frame.G_per_A2, 0.0538345, 0.0, kBenchRMax_A));
}

void BM_WholeRun(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(whole_run(g_inputs).seq_kB.size());
}

/// Best wall time of `work` over at least `repeats` calls and at least `min_window_s` seconds
/// (reference.py times NumPy the same way: on a shared machine both get the same chance of a quiet
/// moment).
double seconds_of_best(int repeats, double min_window_s, const auto& work) {
  double best = 1e300;
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < repeats || std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() < min_window_s; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    work();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

int compare_with_reference(const std::string& inputs_dir, const std::string& reference, const std::string& python) {
  const double seq_s = seconds_of_best(200, 1.0, [] { benchmark::DoNotOptimize(compute_seq(g_inputs.frames.front(), bench_seq_options())); });
  WholeRun ours;
  const double run_s = seconds_of_best(5, 0.0, [&] { ours = whole_run(g_inputs); });
  const std::string command = fmt::format("'{}' '{}' '{}'", python, reference, inputs_dir);
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) {
    fmt::print(stderr, "cannot run {}\n", command);
    return 1;
  }
  std::string output;
  char buffer[4096];
  while (const std::size_t n = fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
  if (pclose(pipe) != 0) {
    fmt::print(stderr, "reference failed: {}\n{}\n", command, output);
    return 1;
  }
  const nlohmann::json ref = nlohmann::json::parse(output);
  const auto ref_seq = ref.at("seq_kB_per_atom").get<std::vector<double>>();
  double max_relative = 0;
  for (std::size_t i = 0; i < ref_seq.size() && i < ours.seq_kB.size(); ++i) {
    max_relative = std::max(max_relative, std::abs(ours.seq_kB[i] - ref_seq[i]) / std::abs(ref_seq[i]));
  }
  const double ref_seq_s = ref.at("seq_one_frame_s").get<double>();
  const double ref_run_s = ref.at("whole_run_s").get<double>();
  const auto verdict = [](bool pass) { return pass ? "PASS" : "FAIL"; };
  const bool seq_fast = seq_s < 50e-6, seq_ratio = ref_seq_s / seq_s >= 20.0;
  const bool run_fast = run_s < 1.0, run_ratio = ref_run_s / run_s >= 20.0;
  const bool agree = max_relative <= 1e-9 && ref_seq.size() == ours.seq_kB.size();
  fmt::print("\n== glasslab vs NumPy/SciPy reference ({}), best of repeated runs, wall time ==\n", reference);
  fmt::print("{:<46} {:>12} {:>12} {:>9}   {}\n", "", "glasslab", "NumPy/SciPy", "speed-up", "targets");
  fmt::print("{:<46} {:>9.2f} us {:>9.2f} us {:>8.1f}x   < 50 us: {}, >= 20x: {}\n", "Seq, one 4,000-point G(r) (rho0 fitted)",
             seq_s * 1e6, ref_seq_s * 1e6, ref_seq_s / seq_s, verdict(seq_fast), verdict(seq_ratio));
  fmt::print("{:<46} {:>9.2f} ms {:>9.2f} ms {:>8.1f}x   < 1 s: {}, >= 20x: {}\n",
             "whole run (400 frames, smoothing, Tg, DMA)", run_s * 1e3, ref_run_s * 1e3, ref_run_s / run_s,
             verdict(run_fast), verdict(run_ratio));
  // The lab PC may lack AVX-512: the same frame on each instruction set Highway built and this CPU has.
  std::string per_target;
  for (const int64_t target : hwy::SupportedAndGeneratedTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    const double s = seconds_of_best(200, 0.2, [] { benchmark::DoNotOptimize(compute_seq(g_inputs.frames.front(), bench_seq_options())); });
    per_target += fmt::format("{}{} {:.2f} us ({:.1f}x)", per_target.empty() ? "" : ", ", hwy::TargetName(target), s * 1e6, ref_seq_s / s);
  }
  hwy::SetSupportedTargetsForTest(0);
  fmt::print("Seq, one frame, per SIMD target: {}\n", per_target);
  fmt::print("Seq agreement over {} frames: max relative difference {:.3g}   <= 1e-9: {}\n", ref_seq.size(), max_relative,
             verdict(agree));
  const auto ref_lambdas = ref.at("lambdas").get<std::vector<double>>();
  std::string ours_lambdas = fmt::format("{:.6g}", ours.series.whole_series.lambda);
  for (const auto& segment : ours.series.segments) ours_lambdas += fmt::format(", {:.6g}", segment.lambda);
  std::string reference_lambdas;
  for (const double lambda : ref_lambdas) reference_lambdas += fmt::format("{}{:.6g}", reference_lambdas.empty() ? "" : ", ", lambda);
  fmt::print("GCV lambda (whole series, then per part): glasslab {}; reference {}\n", ours_lambdas, reference_lambdas);
  fmt::print("Tg: glasslab {} K, reference {} K; crystallization onset: glasslab {} K, reference {} K\n",
             ours.series.glass_transition.Tg_K ? fmt::format("{:.1f}", *ours.series.glass_transition.Tg_K) : "-",
             ref.at("Tg_K").is_number() ? fmt::format("{:.1f}", ref.at("Tg_K").get<double>()) : "-",
             ours.series.crystallization ? fmt::format("{:.2f}", ours.series.crystallization->onset_K) : "-",
             ref.at("crystallization_onset_K").is_number() ? fmt::format("{:.2f}", ref.at("crystallization_onset_K").get<double>()) : "-");
  for (const auto& r : ours.dma.relaxations) {
    const auto& energies = ref.at("energies_eV");
    fmt::print("E_{:<6} glasslab {} eV, reference {} eV\n", r.name,
               r.arrhenius.energy_eV ? fmt::format("{:.4f}", *r.arrhenius.energy_eV) : std::string(to_string(r.arrhenius.status)),
               energies.contains(r.name) && !energies[r.name].is_null() ? fmt::format("{:.4f}", energies[r.name].get<double>()) : "-");
  }
  return seq_fast && seq_ratio && run_fast && run_ratio && agree ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string inputs_dir, reference = std::string(GLASSLAB_SOURCE_DIR) + "/bench/analysis/reference.py";
  std::string python = "/usr/bin/python3";  // Debian's, with python3-numpy/scipy (not a pyenv shim)
  bool skip_reference = false;              // for profiling glasslab alone (perf, callgrind)
  std::vector<char*> rest{argv[0]};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--inputs" && i + 1 < argc) inputs_dir = argv[++i];
    else if (a == "--reference" && i + 1 < argc) reference = argv[++i];
    else if (a == "--python" && i + 1 < argc) python = argv[++i];
    else if (a == "--skip-reference") skip_reference = true;
    else rest.push_back(argv[i]);
  }
  if (inputs_dir.empty()) {
    fmt::print(stderr, "usage: analysis_bench --inputs DIR [--reference reference.py] [--python /usr/bin/python3] "
                       "[--skip-reference] [benchmark flags]\n"
                       "(bench/analysis/run.sh builds the inputs and runs everything)\n");
    return 2;
  }
  g_inputs = load(inputs_dir);
  benchmark::RegisterBenchmark("Seq/one_4000_point_G(r)", BM_Seq4000)->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("Seq/integral_only_4000", BM_Seq4000_IntegralOnly)->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("WholeRun/400_frames_smoothing_heatflow_dma", BM_WholeRun)->Unit(benchmark::kMillisecond);
  int count = static_cast<int>(rest.size());
  benchmark::Initialize(&count, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (skip_reference) return 0;
  return compare_with_reference(inputs_dir, reference, python);
}
