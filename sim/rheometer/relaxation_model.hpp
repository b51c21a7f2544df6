#pragma once
// The simulated sample's complex modulus: M*(ω, T) = M_u(T) − Σ_j ΔM_j Φ_j(ωτ_j(T))
// (/work/shared/reference/rheometer-dma.md, "Modelling relaxations for a simulator").
//
// Three relaxations, with the paper's activation energies (Table 1 of the reference):
//   α  Vogel–Fulcher τ_α(T), Havriliak–Negami shape (stretched, KWW β≈0.5 equivalent); apparent
//      Arrhenius energy 7.51 eV near the peak; tan δ peak ≈700 K at 0.05 Hz, ≈742 K at 60 Hz.
//   β  Arrhenius 1.29 eV, broad Cole–Cole (b 0.3–0.5); loss peak ≈450 K at 0.05 Hz, ≈572 K at 60 Hz.
//   γ  Arrhenius 0.28 eV, small Cole–Cole; loss peak ≈200 K at 0.05 Hz, ≈355 K at 60 Hz.
// HPT-deformed samples: broader peaks, larger β and a pronounced excess wing (G'' ∝ f^−0.37).
// Heating through the β region suppresses the β peak in the next heating; γ is reproducible.
#include <complex>

namespace glasslab::sim::rheometer {

enum class SampleState { as_cast, hpt };

/// Parameters of one Cole–Cole / Havriliak–Negami process; Φ(x) = 1 / (1 + (i x)^a)^g.
struct RelaxationShape {
  double delta_fraction = 0;  ///< ΔM_j / M_u
  double a = 1;               ///< width exponent (Cole–Cole b), 0 < a ≤ 1
  double g = 1;               ///< asymmetry (HN γ); 1 = Cole–Cole
};

class RelaxationModel {
public:
  static constexpr double boltzmann_eV_per_K = 8.617333262e-5;  // reference, "Arrhenius"
  static constexpr double glass_transition_K = 709.0;           // Tg from the reference
  static constexpr double poisson_ratio = 0.36;                 // typical of Zr/Cu-based glasses

  explicit RelaxationModel(SampleState state = SampleState::as_cast);

  /// Complex shear modulus G' + iG'' (Pa) at frequency f and temperature T.
  std::complex<double> shear_modulus_Pa(double frequency_Hz, double temperature_K) const;
  /// Complex Young's modulus E = 2(1+ν)G (three-point bending measures E', E'').
  std::complex<double> youngs_modulus_Pa(double frequency_Hz, double temperature_K) const;

  /// Relaxation times (s) of the three processes.
  double tau_alpha_s(double temperature_K) const;
  double tau_beta_s(double temperature_K) const;
  double tau_gamma_s(double temperature_K) const;

  /// Records that the sample was heated up to `max_temperature_K`: annealing through the β
  /// region suppresses the β process in every later heating (not in the one that anneals).
  void record_heating_history(double max_temperature_K);
  double beta_suppression_factor() const { return beta_factor_; }
  SampleState state() const { return state_; }

private:
  SampleState state_;
  RelaxationShape alpha_, wing_, beta_, gamma_;
  double beta_factor_ = 1.0;
  double max_history_K_ = 0.0;
};

/// Φ(x) of a Havriliak–Negami process; Cole–Cole when g = 1. −Im Φ(x) for g = 1 equals the
/// reference's L(x) = x^b sin(πb/2) / (1 + 2 x^b cos(πb/2) + x^2b).
std::complex<double> havriliak_negami(double omega_tau, double a, double g);

}  // namespace glasslab::sim::rheometer
