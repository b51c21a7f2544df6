#pragma once
// Structural model of the Cu44Zr44Al8Hf2Co2 glass whose reduced PDF the simulated detector
// writes (docs/detector-model.md). Conventions from /work/shared/reference/seq-analysis.md:
// G(r) = 4 pi r [rho(r) - rho0] = 4 pi rho0 r (g(r) - 1), so G = -4 pi rho0 r where g = 0;
// Seq = -2 pi rho0 int [g ln g - g + 1] r^2 dr (Eq. 2, k_B per atom, trapezoid from r = 0, the
// g < 1e-10 limit taken as r^2).
//
// The model is honest rather than first-principles: g(r) is a sum of Gaussian shells on an
// excluded-volume step plus a damped oscillating tail. Temperature and history act on it the way
// the paper describes: thermal broadening (slope change at Tg = 709 K), relaxation of excess
// disorder in the gamma (~200-350 K) and beta (~450-570 K) regions that sharpens the peaks, an
// HPT shoulder on the first peak that fades on heating, and crystallization above ~780 K.
// Its Seq(T) along a heating history is computable exactly (ground truth for analysis/).
#include <cstdint>
#include <string>
#include <vector>

namespace glasslab::sim::detector {

/// The paper's four states (Table 2).
enum class SampleState { as_cast, hpt_rt_stored_rt, hpt_ln2_stored_ln2, hpt_rt_stored_ln2 };

SampleState parse_sample_state(const std::string& text);  ///< "as_cast", "hpt_ln2_stored_ln2", ...
std::string to_string(SampleState state);

struct GlassModelParameters {
  double rho0_per_A3 = 0.0538345;  ///< paper's nominal number density (seq-analysis.md)
  double Tg_K = 709.0;
  // Relaxation windows (logistic centre and width, K) and the share of excess disorder each removes.
  double gamma_center_K = 275.0, gamma_width_K = 25.0, gamma_share = 0.35;
  double beta_center_K = 510.0, beta_width_K = 20.0, beta_share = 0.45;
  // Crystallization: x = 1 - exp(-((Tmax - onset) / width)^3) above the onset.
  double crystallization_onset_K = 780.0, crystallization_width_K = 25.0;
  // Thermal mean-square displacement per K (A^2/K), glass and liquid (ratio = slope change at Tg).
  double msd_glass_A2_per_K = 2.0e-5, msd_liquid_A2_per_K = 6.0e-5;
  // Observation: Fourier range, noise level of a 12 s frame.
  double qmax_per_A = 24.0;
  double noise_F_per_Q_12s = 0.0015;  ///< sigma of F(Q) = this * Q for a 12 s exposure
};

/// Excess disorder (relative increase of the static peak variances) of each state as prepared.
double initial_excess_disorder(SampleState state);
/// Amplitude of the first-peak shoulder (g units) of each state as prepared (0 for as cast).
double initial_shoulder_amplitude(SampleState state);

/// The r grid of a written frame: 0 to r_max_A inclusive in steps of dr_A.
std::vector<double> r_grid(double r_max_A = 20.0, double dr_A = 0.01);

class GlassStructureModel {
public:
  GlassStructureModel(SampleState state, GlassModelParameters parameters = {});

  /// Moves the sample's history on: relaxation and crystallization depend on the highest
  /// temperature reached so far (the heating is monotonic in the paper's protocol).
  void advance_to(double T_K);
  double highest_T_K() const { return highest_T_K_; }
  double crystalline_fraction() const;
  double excess_disorder() const;
  double shoulder_amplitude() const;

  /// g(r) and G(r) without noise or Fourier truncation, at temperature T_K and the current history.
  std::vector<double> g(const std::vector<double>& r_A, double T_K) const;
  std::vector<double> G(const std::vector<double>& r_A, double T_K) const;
  /// Seq in k_B per atom of the noiseless model, Eq. 2 on [0, r_max_A], trapezoid, dr = 0.01 A.
  double seq_kB(double T_K, double r_max_A = 10.0) const;

  /// What the detector delivers after reduction: G(r) on `r_A` (uniform from 0) as PDFgetX3
  /// would give it, i.e. F(Q) truncated at Qmax (termination ripples) plus counting noise
  /// scaled to the exposure. `seed` makes a frame reproducible.
  std::vector<double> observed_G(const std::vector<double>& r_A, double T_K, double exposure_s, std::uint64_t seed) const;

  const GlassModelParameters& parameters() const { return p_; }
  SampleState state() const { return state_; }

private:
  double glass_g(double r, double T_K) const;
  double crystal_g(double r, double T_K) const;
  double thermal_msd_A2(double T_K) const;

  SampleState state_;
  GlassModelParameters p_;
  double highest_T_K_ = 0.0;
};

/// Eq. 2 by the trapezoid rule on a uniform grid starting at r = 0 (LAMMPS/PLUMED convention).
double seq_from_g(const std::vector<double>& r_A, const std::vector<double>& g, double rho0_per_A3);

}  // namespace glasslab::sim::detector
