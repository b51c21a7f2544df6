#pragma once
// Equivalent configurational entropy Seq from a reduced PDF G(r)
// (reference/seq-analysis.md; Spieckermann et al., Nat. Commun. 13, 127 (2022), Eqs. 1 and 2).
//
//   g(r) = G(r) / (4 pi rho0 r) + 1                                  (Eq. 1)
//   Seq  = -2 pi rho0 k_B  Int_0^rmax [g ln g - g + 1] r^2 dr         (Eq. 2)
//
// Conventions shared with LAMMPS compute entropy/atom, PLUMED PAIRENTROPY and OVITO: trapezoid
// rule from r = 0, and where g < 1e-10 (including g < 0 from noise) the integrand is r^2, the
// g ln g -> 0 limit. r_max is always explicit in the result; r_min (optional) treats g as 0 below it.
#include <optional>
#include <span>
#include <string>

#include "analysis/fit_status.hpp"
#include "analysis/pdf_text.hpp"

namespace glasslab::analysis {

inline constexpr double kGasConstant_J_per_mol_K = 8.314462618;
inline constexpr double kBoltzmann_eV_per_K = 8.617333262e-5;
/// Below this g the integrand is r^2 (the limit of g ln g - g + 1 for g -> 0).
inline constexpr double kSeqGFloor = 1e-10;
/// Default upper integration limit: Seq of a glass moves by tenths of k_B between 6 and 10 A.
inline constexpr double kDefaultSeqRMax_A = 10.0;

/// Where to fit rho0 from G = -4 pi rho0 r (docs/analysis.md, "rho0 window").
struct Rho0WindowOptions {
  std::optional<double> r_lo_A;       ///< window start; default: rpoly (header) or `rpoly_A`
  std::optional<double> r_hi_A;       ///< window end; default: detected from the first peak
  double rpoly_A = 0.9;               ///< PDFgetX3 polynomial-correction radius if no header
  double first_peak_search_max_A = 5.0;  ///< the first peak is searched in (r_lo, this]
  double stop_fraction = 0.8;         ///< window end = stop_fraction * (rise zero crossing)
  double no_peak_r_hi_A = 2.0;        ///< window end when no first peak is found (the paper's 2 A)
  int min_points = 5;
};

struct Rho0Fit {
  FitStatus status = FitStatus::ok;
  std::string reason;                 ///< empty when ok
  std::optional<double> rho0_per_A3;  ///< set only when status == ok
  std::optional<double> rho0_stderr_per_A3;
  double window_lo_A = 0;
  double window_hi_A = 0;
  int points = 0;
  std::optional<double> first_peak_r_A;   ///< position of the first peak if one was found
  std::optional<double> rise_zero_A;      ///< where G crosses 0 on the first peak's rising side
  double rms_residual_per_A2 = 0;
  std::string window_rule;                ///< how the window end was chosen, for the report
};

/// Least-squares line through the origin, G = slope * r, on the chosen window; rho0 = -slope/(4 pi).
/// r must increase (compute_seq checks it).
Rho0Fit fit_rho0(std::span<const double> r_A, std::span<const double> G_per_A2,
                 const Rho0WindowOptions& options);

struct SeqOptions {
  std::optional<double> rho0_per_A3;  ///< given density; else fitted from the low-r slope
  std::optional<double> r_min_A;      ///< excluded volume: g = 0 for r < r_min
  std::optional<double> r_max_A;      ///< default kDefaultSeqRMax_A, clipped to the data
  Rho0WindowOptions rho0_window;
};

struct SeqResult {
  double seq_kB_per_atom = 0;
  double seq_J_per_mol_K = 0;
  double rho0_per_A3 = 0;
  bool rho0_fitted = false;
  std::optional<Rho0Fit> rho0_fit;    ///< the fit's details when rho0 was fitted
  std::optional<double> r_min_A;
  double r_max_A = 0;                 ///< the integration limit actually used
  bool r_max_clipped = false;         ///< the requested r_max was beyond the data
  int points_used = 0;                ///< grid points with r <= r_max
  double g_floor = kSeqGFloor;
};

/// Integral of Eq. 2 without the prefactor: Int_0^rmax f(r) dr by the trapezoid rule from r = 0,
/// f = [g ln g - g + 1] r^2 (r^2 where g < 1e-10 or r < r_min). A partial last segment up to r_max
/// uses the linearly interpolated integrand. r must be increasing and >= 0. The integrand and the sum
/// are vectorised (Highway, seq_simd.hpp), the sum taken per point as f_i (r_{i+1} - r_{i-1})
/// in per-lane partial sums: within ~1e-14 relative of the scalar running trapezoid.
double seq_integral_A3(std::span<const double> r_A, std::span<const double> G_per_A2, double rho0_per_A3,
                       double r_min_A, double r_max_A);

/// Seq [k_B per atom] = -2 pi rho0 * seq_integral_A3(...). Throws std::invalid_argument on
/// rho0 <= 0, mismatched lengths or a non-increasing grid.
double seq_kB_per_atom(std::span<const double> r_A, std::span<const double> G_per_A2, double rho0_per_A3,
                       double r_min_A, double r_max_A);

/// The whole Eqs. 1-2 evaluation with every parameter recorded. Throws std::invalid_argument
/// naming the reason when rho0 cannot be fitted (the caller records it and goes on).
SeqResult compute_seq(const PdfData& pdf, const SeqOptions& options);
SeqResult compute_seq(std::span<const double> r_A, std::span<const double> G_per_A2,
                      const SeqOptions& options, std::optional<double> header_rpoly_A = std::nullopt);

}  // namespace glasslab::analysis
