#pragma once
// Synthetic inputs shared by the analysis tests and bench/analysis: a glass-like G(r) and DMA
// tan delta(T) from the reference's Cole-Cole/Arrhenius model (reference/rheometer-dma.md).
#include <cmath>
#include <numbers>
#include <random>
#include <vector>

#include "analysis/dma.hpp"
#include "analysis/loss_peaks.hpp"
#include "analysis/seq.hpp"

namespace glasslab::analysis::synthetic {

/// g(r) of a dense glass: a smooth excluded-volume step at r_core times damped oscillations
/// around 1 with the first peak near 2.75 A. `order` scales the oscillation (more order, lower Seq).
inline double glass_g(double r_A, double order = 1.0) {
  if (r_A <= 0) return 0;
  const double step = 1.0 / (1.0 + std::exp(-(r_A - 2.35) / 0.07));
  const double oscillation = (5.0 * order / r_A) * std::exp(-(r_A - 2.75) / 2.5) * std::cos(2 * std::numbers::pi * (r_A - 2.75) / 2.0);
  return step * (1.0 + oscillation);
}

/// G(r) = 4 pi rho0 r (g - 1) on r = step, 2 step, ..., r_end, plus Gaussian noise.
inline void glass_G(double rho0, double step_A, double r_end_A, double noise, unsigned seed, std::vector<double>& r,
                    std::vector<double>& G, double order = 1.0) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> gauss(0.0, noise);
  r.clear();
  G.clear();
  for (int i = 1; i * step_A <= r_end_A + 1e-12; ++i) {
    const double ri = i * step_A;
    r.push_back(ri);
    G.push_back(4 * std::numbers::pi * rho0 * ri * (glass_g(ri, order) - 1.0) + (noise > 0 ? gauss(rng) : 0.0));
  }
}

struct SyntheticRelaxation {
  const char* name;
  double energy_eV, Tp_at_005Hz_K, shape_b, amplitude_A;
};

/// The paper's energies with peak temperatures at 0.05 Hz from reference/rheometer-dma.md.
inline std::vector<SyntheticRelaxation> paper_model() {
  return {{"gamma", 0.28, 200.0, 0.5, 0.01}, {"beta", 1.29, 450.0, 0.4, 0.03}, {"alpha", 7.51, 700.0, 0.5, 0.3}};
}

/// Tp at frequency f from 2 pi f tau(Tp) = 1 with tau0 fixed by Tp(0.05 Hz).
inline double peak_temperature(const SyntheticRelaxation& relaxation, double f_Hz) {
  const double E_over_k = relaxation.energy_eV / kBoltzmann_eV_per_K;
  return 1.0 / (1.0 / relaxation.Tp_at_005Hz_K - std::log(f_Hz / 0.05) / E_over_k);
}

/// tan delta at 5 frequencies, interleaved non-uniform temperatures 130-820 K, relative noise.
inline std::vector<DmaSample> paper_dma_samples(double noise_fraction, unsigned seed,
                                                const std::vector<double>& frequencies = {0.05, 0.5, 3, 7, 15},
                                                double step_K = 2.0) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> gauss(0.0, 1.0);
  std::uniform_real_distribution<double> jitter(-0.3, 0.3);
  std::vector<DmaSample> samples;
  const auto model = paper_model();
  for (std::size_t k = 0; k < frequencies.size(); ++k) {
    for (double T = 130.0 + 0.4 * k; T <= 820.0; T += step_K) {
      const double t = T + jitter(rng);
      double value = 0.004 + 2e-6 * (t - 130.0);
      for (const auto& r : model) value += cole_cole_reference(t, r.amplitude_A, peak_temperature(r, frequencies[k]), r.energy_eV, r.shape_b);
      value *= 1.0 + noise_fraction * gauss(rng);
      samples.push_back(DmaSample{t, frequencies[k], value});
    }
  }
  return samples;
}

}  // namespace glasslab::analysis::synthetic
