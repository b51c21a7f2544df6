#include "sim/rheometer/relaxation_model.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace glasslab::sim::rheometer {

namespace {

// Unrelaxed shear modulus of a Zr-based bulk metallic glass (~35 GPa at room temperature) with
// the weak linear softening the reference asks for ("a weak linear M_u(T)").
constexpr double unrelaxed_shear_300K_Pa = 35.0e9;
constexpr double softening_per_K = 2.5e-4;

// α: Vogel–Fulcher τ = τ0 exp(B / (T − T0)). T0 and B follow from the reference's implied α
// shifts (≈700 K at 0.05 Hz, ≈742 K at 60 Hz): ln(60/0.05) = B/(700−T0) − B/(742−T0) together
// with the apparent energy k·B·T²/(T−T0)² ≈ 7.5 eV at 720 K. τ0 places the tan δ maximum
// (which sits at ωτ_α < 1 because the glass keeps ~3 % of its modulus) at those temperatures.
constexpr double vft_T0_K = 544.2;
constexpr double vft_B_K = 5203.0;
constexpr double vft_tau0_s = 2.6e-15;

// β and γ: Arrhenius τ = τ0 exp(E/kT), τ0 fixed by the reference's 0.05 Hz peak temperature
// (2πf τ(Tp) = 1): β 1.29 eV peaking at 450 K, γ 0.28 eV peaking at 200 K.
constexpr double beta_energy_eV = 1.29;
constexpr double beta_anchor_K = 450.0;
constexpr double gamma_energy_eV = 0.28;
constexpr double gamma_anchor_K = 200.0;
constexpr double anchor_frequency_Hz = 0.05;

// Annealing above this temperature starts to suppress β in later heatings.
constexpr double beta_anneal_onset_K = 520.0;
constexpr double beta_anneal_width_K = 40.0;
constexpr double beta_anneal_floor = 0.25;

double arrhenius_tau0(double energy_eV, double anchor_K) {
  const double k = RelaxationModel::boltzmann_eV_per_K;
  return 1.0 / (2.0 * std::numbers::pi * anchor_frequency_Hz) * std::exp(-energy_eV / (k * anchor_K));
}

}  // namespace

std::complex<double> havriliak_negami(double omega_tau, double a, double g) {
  if (omega_tau <= 0) return {1.0, 0.0};
  // (i x)^a = x^a e^{i π a / 2}
  const std::complex<double> ixa = std::polar(std::pow(omega_tau, a), std::numbers::pi * a / 2.0);
  return 1.0 / std::pow(1.0 + ixa, g);
}

RelaxationModel::RelaxationModel(SampleState state) : state_(state) {
  if (state == SampleState::as_cast) {
    alpha_ = {0.92, 0.90, 0.45};  // HN a, g ≈ KWW β 0.5; all terms relax 97.5 %
    wing_ = {0.010, 0.37, 1.0};   // weak excess wing, f^-0.37
    beta_ = {0.030, 0.45, 1.0};
    gamma_ = {0.015, 0.50, 1.0};
  } else {
    alpha_ = {0.865, 0.75, 0.45}; // broader α; all terms relax 97.5 %
    wing_ = {0.045, 0.37, 1.0};   // pronounced excess wing
    beta_ = {0.050, 0.33, 1.0};   // larger, broader β
    gamma_ = {0.015, 0.50, 1.0};  // γ unchanged: reproducible
  }
}

double RelaxationModel::tau_alpha_s(double temperature_K) const {
  if (temperature_K <= vft_T0_K + 1.0) return 1e300;  // frozen: below the VFT divergence
  return vft_tau0_s * std::exp(vft_B_K / (temperature_K - vft_T0_K));
}

double RelaxationModel::tau_beta_s(double temperature_K) const {
  return arrhenius_tau0(beta_energy_eV, beta_anchor_K) *
         std::exp(beta_energy_eV / (boltzmann_eV_per_K * temperature_K));
}

double RelaxationModel::tau_gamma_s(double temperature_K) const {
  return arrhenius_tau0(gamma_energy_eV, gamma_anchor_K) *
         std::exp(gamma_energy_eV / (boltzmann_eV_per_K * temperature_K));
}

std::complex<double> RelaxationModel::shear_modulus_Pa(double frequency_Hz, double temperature_K) const {
  const double unrelaxed_Pa = unrelaxed_shear_300K_Pa * (1.0 - softening_per_K * (temperature_K - 300.0));
  const double omega = 2.0 * std::numbers::pi * frequency_Hz;
  const double tau_a = tau_alpha_s(temperature_K);
  auto term = [&](const RelaxationShape& shape, double tau_s, double weight) {
    return weight * shape.delta_fraction * havriliak_negami(omega * tau_s, shape.a, shape.g);
  };
  // M* = M_u (1 − Σ ΔM_j Φ_j); the sign convention makes M'' = −M_u Σ ΔM_j Im Φ_j > 0.
  std::complex<double> relaxed = term(alpha_, tau_a, 1.0) + term(wing_, tau_a, 1.0) +
                                 term(beta_, tau_beta_s(temperature_K), beta_factor_) +
                                 term(gamma_, tau_gamma_s(temperature_K), 1.0);
  // The α and wing terms together may not relax more than the whole modulus.
  const std::complex<double> modulus = unrelaxed_Pa * (1.0 - relaxed);
  return {std::max(modulus.real(), 1e-4 * unrelaxed_Pa), std::max(modulus.imag(), 0.0)};
}

std::complex<double> RelaxationModel::youngs_modulus_Pa(double frequency_Hz, double temperature_K) const {
  return 2.0 * (1.0 + poisson_ratio) * shear_modulus_Pa(frequency_Hz, temperature_K);
}

void RelaxationModel::record_heating_history(double max_temperature_K) {
  max_history_K_ = std::max(max_history_K_, max_temperature_K);
  if (max_history_K_ <= beta_anneal_onset_K) return;
  beta_factor_ = std::max(beta_anneal_floor,
                          std::exp(-(max_history_K_ - beta_anneal_onset_K) / beta_anneal_width_K));
}

}  // namespace glasslab::sim::rheometer
