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

double seconds_of_best(int repeats, const auto& work) {
  double best = 1e300;
  for (int i = 0; i < repeats; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    work();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

int compare_with_reference(const std::string& inputs_dir, const std::string& reference, const std::string& python) {
  const double seq_s = seconds_of_best(2000, [] { benchmark::DoNotOptimize(compute_seq(g_inputs.frames.front(), bench_seq_options())); });
  WholeRun ours;
  const double run_s = seconds_of_best(5, [&] { ours = whole_run(g_inputs); });
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
  fmt::print("\n== glasslab vs NumPy/SciPy reference ({}) ==\n", reference);
  fmt::print("Seq, one 4,000-point G(r):  glasslab {:9.2f} us   reference {:9.2f} us   speed-up {:6.1f}x   (target < 50 us)\n",
             seq_s * 1e6, ref_seq_s * 1e6, ref_seq_s / seq_s);
  fmt::print("whole run (400 frames Seq, smoothing, heat flow, 5x3-peak DMA fit):\n"
             "                            glasslab {:9.2f} ms   reference {:9.2f} ms   speed-up {:6.1f}x   (target < 1 s, >= 20x)\n",
             run_s * 1e3, ref_run_s * 1e3, ref_run_s / run_s);
  fmt::print("Seq agreement over {} frames: max relative difference {:.3g} ({} 1e-9)\n", ref_seq.size(), max_relative,
             max_relative <= 1e-9 ? "within" : "NOT within");
  fmt::print("GCV lambda: glasslab {:.6g}, reference {:.6g}\n", ours.series.whittaker.lambda, ref.at("lambda").get<double>());
  for (const auto& r : ours.dma.relaxations) {
    const auto& energies = ref.at("energies_eV");
    fmt::print("E_{:<6} glasslab {} eV, reference {} eV\n", r.name,
               r.arrhenius.energy_eV ? fmt::format("{:.4f}", *r.arrhenius.energy_eV) : std::string(to_string(r.arrhenius.status)),
               energies.contains(r.name) && !energies[r.name].is_null() ? fmt::format("{:.4f}", energies[r.name].get<double>()) : "-");
  }
  const bool ok = max_relative <= 1e-9 && ref_seq.size() == ours.seq_kB.size();
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string inputs_dir, reference = std::string(GLASSLAB_SOURCE_DIR) + "/bench/analysis/reference.py";
  std::string python = "/usr/bin/python3";  // Debian's, with python3-numpy/scipy (not a pyenv shim)
  std::vector<char*> rest{argv[0]};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--inputs" && i + 1 < argc) inputs_dir = argv[++i];
    else if (a == "--reference" && i + 1 < argc) reference = argv[++i];
    else if (a == "--python" && i + 1 < argc) python = argv[++i];
    else rest.push_back(argv[i]);
  }
  if (inputs_dir.empty()) {
    fmt::print(stderr, "usage: analysis_bench --inputs DIR [--reference reference.py] [--python /usr/bin/python3] [benchmark flags]\n"
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
  return compare_with_reference(inputs_dir, reference, python);
}
