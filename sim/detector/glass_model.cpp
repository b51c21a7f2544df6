#include "sim/detector/glass_model.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>

#include <fmt/format.h>

#include "core/error.hpp"

namespace glasslab::sim::detector {

namespace {

constexpr double kPi = std::numbers::pi;

/// One Gaussian shell of g(r): centre, amplitude (g units) and static width at the reference state.
struct Shell {
  double r_A, amplitude, sigma_A;
};

// Amorphous Cu-Zr shells: the first peak is the Cu-Cu (2.55), Cu-Zr (2.74) and Zr-Zr (3.15)
// overlap with its maximum near 2.7 A; the second peak is split at ~4.6 / 5.2 A (the
// icosahedral-order signature of Cu-Zr glasses); negative shells place the minima.
constexpr Shell kGlassShells[] = {
    {2.55, 1.05, 0.12}, {2.74, 1.85, 0.14}, {3.15, 0.85, 0.17}, {3.75, -0.62, 0.30}, {4.60, 0.52, 0.24},
    {5.20, 0.38, 0.22}, {5.95, -0.30, 0.30}, {6.90, 0.17, 0.30}, {7.60, 0.11, 0.30}, {8.30, -0.10, 0.35},
};
// Crystalline shells (CuZr2 / Cu10Zr7-like distances): narrow peaks, long-range order.
constexpr Shell kCrystalShells[] = {
    {2.62, 2.6, 0.05}, {2.78, 3.2, 0.05}, {3.08, 2.0, 0.05}, {3.30, 1.4, 0.05}, {3.90, -0.8, 0.10},
    {4.30, 1.1, 0.06}, {4.55, 1.3, 0.06}, {4.95, 1.0, 0.06}, {5.30, 1.2, 0.06}, {5.75, 0.9, 0.06},
    {6.20, -0.5, 0.10}, {6.70, 0.9, 0.07}, {7.10, 0.8, 0.07}, {7.60, 0.8, 0.07}, {8.05, 0.7, 0.07},
    {8.60, 0.6, 0.08}, {9.10, 0.6, 0.08}, {9.70, 0.5, 0.08},
};
constexpr double kShoulderR_A = 3.30, kShoulderSigma_A = 0.10;
constexpr double kHardCoreR_A = 2.22, kHardCoreWidth_A = 0.06;

double logistic(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double excluded_volume(double r) { return 0.5 * (1.0 + std::erf((r - kHardCoreR_A) / (std::sqrt(2.0) * kHardCoreWidth_A))); }
double gaussian(double r, double centre, double sigma) {
  const double z = (r - centre) / sigma;
  return std::exp(-0.5 * z * z);
}
double smoothstep(double r, double from, double to) {
  const double x = std::clamp((r - from) / (to - from), 0.0, 1.0);
  return x * x * (3 - 2 * x);
}

}  // namespace

SampleState parse_sample_state(const std::string& text) {
  if (text == "as_cast") return SampleState::as_cast;
  if (text == "hpt_rt_stored_rt") return SampleState::hpt_rt_stored_rt;
  if (text == "hpt_ln2_stored_ln2") return SampleState::hpt_ln2_stored_ln2;
  if (text == "hpt_rt_stored_ln2") return SampleState::hpt_rt_stored_ln2;
  throw UsageError(fmt::format("sample state '{}' is not one of as_cast, hpt_rt_stored_rt, hpt_ln2_stored_ln2, "
                               "hpt_rt_stored_ln2 (the paper's Table 2)",
                               text));
}

std::string to_string(SampleState state) {
  switch (state) {
    case SampleState::as_cast: return "as_cast";
    case SampleState::hpt_rt_stored_rt: return "hpt_rt_stored_rt";
    case SampleState::hpt_ln2_stored_ln2: return "hpt_ln2_stored_ln2";
    case SampleState::hpt_rt_stored_ln2: return "hpt_rt_stored_ln2";
  }
  return "unknown";
}

double initial_excess_disorder(SampleState state) {
  // HPT rejuvenates (more disorder); storage at RT lets part of it relax, storage in LN2 keeps it.
  switch (state) {
    case SampleState::as_cast: return 0.10;
    case SampleState::hpt_rt_stored_rt: return 0.22;
    case SampleState::hpt_ln2_stored_ln2: return 0.35;
    case SampleState::hpt_rt_stored_ln2: return 0.30;
  }
  return 0.10;
}

double initial_shoulder_amplitude(SampleState state) {
  // The paper sees the shoulder for the LN2-stored HPT states only.
  switch (state) {
    case SampleState::hpt_ln2_stored_ln2: return 0.30;
    case SampleState::hpt_rt_stored_ln2: return 0.22;
    default: return 0.0;
  }
}

std::vector<double> r_grid(double r_max_A, double dr_A) {
  const auto n = static_cast<std::size_t>(std::llround(r_max_A / dr_A)) + 1;
  std::vector<double> r(n);
  for (std::size_t i = 0; i < n; ++i) r[i] = static_cast<double>(i) * dr_A;
  return r;
}

GlassStructureModel::GlassStructureModel(SampleState state, GlassModelParameters parameters)
    : state_(state), p_(parameters) {}

void GlassStructureModel::advance_to(double T_K) { highest_T_K_ = std::max(highest_T_K_, T_K); }

double GlassStructureModel::crystalline_fraction() const {
  if (highest_T_K_ <= p_.crystallization_onset_K) return 0.0;
  const double x = (highest_T_K_ - p_.crystallization_onset_K) / p_.crystallization_width_K;
  return 1.0 - std::exp(-x * x * x);
}

double GlassStructureModel::excess_disorder() const {
  // Each relaxation window removes its share of the excess as Tmax passes through it; above Tg
  // the supercooled liquid has equilibrated and no excess remains.
  const double relaxed = p_.gamma_share * logistic((highest_T_K_ - p_.gamma_center_K) / p_.gamma_width_K) +
                         p_.beta_share * logistic((highest_T_K_ - p_.beta_center_K) / p_.beta_width_K);
  const double liquid = logistic((highest_T_K_ - p_.Tg_K) / 8.0);
  return initial_excess_disorder(state_) * std::max(0.0, 1.0 - relaxed) * (1.0 - liquid);
}

double GlassStructureModel::shoulder_amplitude() const {
  // Fades mostly in the beta region and is gone by Tg.
  const double fade = logistic((highest_T_K_ - 480.0) / 40.0);
  return initial_shoulder_amplitude(state_) * (1.0 - fade) * (1.0 - logistic((highest_T_K_ - p_.Tg_K) / 8.0));
}

double GlassStructureModel::thermal_msd_A2(double T_K) const {
  // Debye-Waller broadening: linear in T in the glass, steeper in the liquid (slope change at Tg).
  if (T_K <= p_.Tg_K) return p_.msd_glass_A2_per_K * T_K;
  return p_.msd_glass_A2_per_K * p_.Tg_K + p_.msd_liquid_A2_per_K * (T_K - p_.Tg_K);
}

double GlassStructureModel::glass_g(double r, double T_K) const {
  const double msd = thermal_msd_A2(T_K);
  const double disorder = excess_disorder();
  double h = 0.0;
  for (const auto& s : kGlassShells) {
    const double sigma0_sq = s.sigma_A * s.sigma_A;
    const double sigma = std::sqrt(sigma0_sq * (1.0 + disorder) + msd);
    // Constant shell area: a narrower shell is a taller one (peaks sharpen as the glass relaxes).
    h += s.amplitude * (s.sigma_A / sigma) * gaussian(r, s.r_A, sigma);
  }
  const double shoulder = shoulder_amplitude();
  if (shoulder > 0) h += shoulder * gaussian(r, kShoulderR_A, std::sqrt(kShoulderSigma_A * kShoulderSigma_A + msd));
  // Damped oscillating tail beyond the explicit shells (medium-range order, period ~2.3 A).
  const double damping = std::exp(-(r - 8.5) / (2.2 / (1.0 + 0.5 * disorder)));
  h += smoothstep(r, 8.0, 9.0) * 0.10 * damping * std::sin(2.0 * kPi * (r - 8.5) / 2.3 + kPi);
  return excluded_volume(r) * std::max(0.0, 1.0 + h);
}

double GlassStructureModel::crystal_g(double r, double T_K) const {
  const double msd = thermal_msd_A2(T_K);
  double h = 0.0;
  for (const auto& s : kCrystalShells) {
    const double sigma = std::sqrt(s.sigma_A * s.sigma_A + msd);
    h += s.amplitude * (s.sigma_A / sigma) * gaussian(r, s.r_A, sigma);
  }
  // Long-range order persists: a slowly damped oscillation continues the shells.
  h += smoothstep(r, 9.5, 10.5) * 0.35 * std::exp(-(r - 10.0) / 12.0) * std::sin(2.0 * kPi * (r - 10.0) / 1.9);
  return excluded_volume(r) * std::max(0.0, 1.0 + h);
}

std::vector<double> GlassStructureModel::g(const std::vector<double>& r_A, double T_K) const {
  const double x = crystalline_fraction();
  std::vector<double> out(r_A.size());
  for (std::size_t i = 0; i < r_A.size(); ++i) {
    const double glass = glass_g(r_A[i], T_K);
    out[i] = x > 0 ? (1.0 - x) * glass + x * crystal_g(r_A[i], T_K) : glass;
  }
  return out;
}

std::vector<double> GlassStructureModel::G(const std::vector<double>& r_A, double T_K) const {
  auto out = g(r_A, T_K);
  for (std::size_t i = 0; i < r_A.size(); ++i) out[i] = 4.0 * kPi * p_.rho0_per_A3 * r_A[i] * (out[i] - 1.0);
  return out;
}

double GlassStructureModel::seq_kB(double T_K, double r_max_A) const {
  const auto r = r_grid(r_max_A, 0.01);
  return seq_from_g(r, g(r, T_K), p_.rho0_per_A3);
}

double seq_from_g(const std::vector<double>& r_A, const std::vector<double>& g, double rho0_per_A3) {
  auto integrand = [&](std::size_t i) {
    const double r2 = r_A[i] * r_A[i];
    if (g[i] < 1e-10) return r2;  // g ln g - g + 1 -> 1 as g -> 0
    return (g[i] * std::log(g[i]) - g[i] + 1.0) * r2;
  };
  double integral = 0.0;
  for (std::size_t i = 1; i < r_A.size(); ++i) integral += 0.5 * (integrand(i) + integrand(i - 1)) * (r_A[i] - r_A[i - 1]);
  return -2.0 * kPi * rho0_per_A3 * integral;
}

std::vector<double> GlassStructureModel::observed_G(const std::vector<double>& r_A, double T_K, double exposure_s,
                                                   std::uint64_t seed) const {
  // Forward sine transform of the model on a long grid (so F(Q) has no artefacts of its own),
  // truncated at Qmax, with noise sigma_F = a Q, then G(r) = (2/pi) int F(Q) sin(Qr) dQ
  // (seq-analysis.md definitions). Sines by the Chebyshev recurrence: no per-point std::sin.
  constexpr double kModelRangeA = 40.0, kModelStepA = 0.01;
  const auto r_model = r_grid(kModelRangeA, kModelStepA);
  const auto G_model = G(r_model, T_K);
  const double dQ = kPi / kModelRangeA;
  const auto nQ = static_cast<std::size_t>(p_.qmax_per_A / dQ);
  const double noise_a = p_.noise_F_per_Q_12s * std::sqrt(12.0 / std::max(0.1, exposure_s));
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);

  auto sine_sum = [](const std::vector<double>& x_grid, double step, const std::vector<double>& values, double k) {
    // sum_n values[n] sin(k x_n) on x_n = n * step
    const double c2 = 2.0 * std::cos(k * step);
    double s_prev = 0.0, s_cur = std::sin(k * step), sum = 0.0;
    for (std::size_t n = 1; n < values.size(); ++n) {
      sum += values[n] * s_cur;
      const double s_next = c2 * s_cur - s_prev;
      s_prev = s_cur;
      s_cur = s_next;
    }
    (void)x_grid;
    return sum;
  };

  std::vector<double> F(nQ + 1, 0.0);
  for (std::size_t k = 1; k <= nQ; ++k) {
    const double Q = static_cast<double>(k) * dQ;
    F[k] = sine_sum(r_model, kModelStepA, G_model, Q) * kModelStepA + noise_a * Q * normal(rng);
  }
  std::vector<double> out(r_A.size(), 0.0);
  const double dr = r_A.size() > 1 ? r_A[1] - r_A[0] : 0.01;
  // Back-transform: sum over Q of F(Q_k) sin(Q_k r_i); recurrence along r for each Q.
  for (std::size_t k = 1; k <= nQ; ++k) {
    const double Q = static_cast<double>(k) * dQ;
    const double c2 = 2.0 * std::cos(Q * dr);
    double s_prev = -std::sin(Q * dr), s_cur = 0.0;
    for (std::size_t i = 0; i < r_A.size(); ++i) {
      out[i] += F[k] * s_cur;
      const double s_next = c2 * s_cur - s_prev;
      s_prev = s_cur;
      s_cur = s_next;
    }
  }
  for (double& v : out) v *= 2.0 / kPi * dQ;
  return out;
}

}  // namespace glasslab::sim::detector
