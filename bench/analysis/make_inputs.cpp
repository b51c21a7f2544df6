// Inputs for bench/analysis: a heating run of 400 frames whose G(r) (4000 points, 0.01-40 A)
// follows a glass whose order drops slowly, faster above Tg, and jumps at crystallization, with
// noise; the frames' mid-exposure temperatures (non-uniform); and a 5-frequency tan delta CSV from
// the paper's relaxations. Usage: analysis_make_inputs DIR
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <fmt/format.h>

#include "tests/unit/analysis/synthetic.hpp"

using namespace glasslab::analysis;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: analysis_make_inputs DIR\n");
    return 2;
  }
  const std::filesystem::path dir(argv[1]);
  std::filesystem::create_directories(dir);
  std::mt19937 rng(2022);
  std::uniform_real_distribution<double> jitter(-0.4, 0.4);
  std::ofstream temperatures(dir / "frames.csv");
  temperatures << "file,T_mid_K\n";
  const double rho0 = 0.0538345;
  for (int k = 0; k < 400; ++k) {
    const double T = 95.0 + k * 1.95 + jitter(rng);  // 10 K/min, 12 s frames
    const double glass = 1.0 - 1.5e-4 * (T - 95.0);
    const double liquid = -8e-4 * 25.0 * std::log1p(std::exp((T - 709.0) / 25.0));
    const double crystal = 0.25 / (1.0 + std::exp(-(T - 800.0) / 5.0));
    std::vector<double> r, G;
    synthetic::glass_G(rho0, 0.01, 40.0, 0.01, 1000 + k, r, G, glass + liquid + crystal);
    const std::string name = fmt::format("frame_{:04d}.gr", k);
    std::string text = fmt::format(
        "[DEFAULT]\nversion = glasslab-bench\nrpoly = 0.9\nqmax = 24.0\ncomposition = Cu44Zr44Al8Hf2Co2\n"
        "#### start data\n#S 1\n#L r($\\AA$)  G($\\AA^{{-2}}$)\n");
    for (std::size_t i = 0; i < r.size(); ++i) text += fmt::format("{:.2f} {:.17g}\n", r[i], G[i]);
    std::ofstream(dir / name) << text;
    temperatures << name << ',' << fmt::format("{:.6f}", T) << '\n';
  }
  std::ofstream dma(dir / "dma.csv");
  dma << "T_K,frequency_Hz,tan_delta\n";
  for (const auto& s : synthetic::paper_dma_samples(0.01, 77)) dma << fmt::format("{:.17g},{:g},{:.17g}\n", s.T_K, s.frequency_Hz, s.value);
  std::printf("wrote 400 frames, frames.csv and dma.csv to %s\n", dir.c_str());
  return 0;
}
