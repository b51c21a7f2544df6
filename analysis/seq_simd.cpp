// The SIMD kernels of Eqs. 1 and 2, vectorised with Highway (see seq_simd.hpp for the two forms of s).
// Highway's dynamic dispatch: this file is compiled once per instruction set by foreach_target.h
// (which re-includes it), and HWY_DYNAMIC_DISPATCH calls the best one the CPU supports.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "analysis/seq_simd.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep

#include <hwy/highway.h>
#include <hwy/contrib/math/math-inl.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "analysis/seq.hpp"
#include "analysis/seq_simd.hpp"

#ifndef GLASSLAB_ANALYSIS_SEQ_SERIES_ONCE
#define GLASSLAB_ANALYSIS_SEQ_SERIES_ONCE
namespace glasslab::analysis::detail {
/// a_n = (-1)^n / (n (n-1)) for n = 2..13: s = x^2 (a_2 + x (a_3 + ... + x a_13)). The first
/// omitted term, |x|^14 / 182, is < 1e-16 of s ~ x^2 / 2 at |x| = 1/16 (for x < 0 every term
/// adds, and the tail's geometric bound is 16/15 of that).
constexpr std::array<double, 12> kSeriesCoefficients = [] {
  std::array<double, 12> a{};
  for (int n = 2; n <= 13; ++n) a[n - 2] = (n % 2 == 0 ? 1.0 : -1.0) / (n * (n - 1.0));
  return a;
}();
}  // namespace glasslab::analysis::detail
#endif

HWY_BEFORE_NAMESPACE();
namespace glasslab::analysis {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

/// s / x^2 = a_2 + x (a_3 + ... + x a_13).
template <class D, class V = hn::Vec<D>>
HWY_INLINE V series_of_s_over_x2(D d, V x) {
  const auto& a = detail::kSeriesCoefficients;
  V p = hn::Set(d, a.back());
  for (std::size_t k = a.size() - 1; k-- > 0;) p = hn::MulAdd(p, x, hn::Set(d, a[k]));
  return p;
}

template <class D, class V = hn::Vec<D>>
HWY_INLINE V log_form_of_s_r2(D d, V x, V r2) {
  const V one = hn::Set(d, 1.0), g_floor = hn::Set(d, kSeqGFloor);
  const V g = hn::Add(x, one);
  const V s = hn::Add(hn::Sub(hn::Mul(g, hn::Log(d, hn::Max(g, g_floor))), g), one);
  return hn::IfThenElse(hn::Lt(g, g_floor), r2, hn::Mul(s, r2));  // the community's g <= 1e-10 rule
}

template <class D, class V = hn::Vec<D>>
HWY_INLINE V integrand_r2(D d, V r, V G, V inv_4pi_rho0) {
  const V x_r = hn::Mul(G, inv_4pi_rho0);
  const V x = hn::Div(x_r, r);  // g - 1, in Eq. 1's operation order
  // Series: s r^2 = (x r)^2 (s / x^2), and x r = G / (4 pi rho0) needs no division.
  if (hn::AllTrue(d, hn::Le(hn::Abs(x), hn::Set(d, kSeqSeriesMaxAbsX)))) return hn::Mul(hn::Mul(x_r, x_r), series_of_s_over_x2(d, x));
  return log_form_of_s_r2(d, x, hn::Mul(r, r));
}

double SeqTwiceTrapezoidShare(const double* HWY_RESTRICT r, const double* HWY_RESTRICT G, double inv_4pi_rho0,
                              std::size_t first, std::size_t end) {
  const auto scalar_term = [&](std::size_t i) {
    return seq_integrand_r2_at(r[i], G[i], inv_4pi_rho0) * trapezoid_share_width(r, i, end);
  };
  const hn::ScalableTag<double> d;
  const std::size_t lanes = hn::Lanes(d);
  double sum = 0;
  std::size_t i = first;
  if (i == 0 && i < end) sum += scalar_term(i++);  // r_{-1} = 0 is not in memory
  auto acc = hn::Zero(d);
  const auto c = hn::Set(d, inv_4pi_rho0);
  for (; i + lanes < end; i += lanes) {  // r_{i+1} .. r_{i+lanes} all inside [0, end)
    const auto weight = hn::Sub(hn::LoadU(d, r + i + 1), hn::LoadU(d, r + i - 1));
    acc = hn::MulAdd(integrand_r2(d, hn::LoadU(d, r + i), hn::LoadU(d, G + i), c), weight, acc);
  }
  for (; i < end; ++i) sum += scalar_term(i);
  return sum + hn::GetLane(hn::SumOfLanes(d, acc));
}

bool GridIncreases(const double* HWY_RESTRICT r, std::size_t n) {
  const hn::ScalableTag<double> d;
  const std::size_t lanes = hn::Lanes(d);
  auto increasing = hn::FirstN(d, lanes);  // And, not Or of Not: one mask operation per vector
  std::size_t i = 1;
  for (; i + lanes <= n; i += lanes) {
    increasing = hn::And(increasing, hn::Gt(hn::LoadU(d, r + i), hn::LoadU(d, r + i - 1)));
  }
  if (!hn::AllTrue(d, increasing)) return false;
  for (; i < n; ++i) {
    if (!(r[i] > r[i - 1])) return false;
  }
  return true;
}

std::size_t IndexOfFirstMax(const double* HWY_RESTRICT G, std::size_t first, std::size_t last) {
  const hn::ScalableTag<double> d;
  const std::size_t lanes = hn::Lanes(d);
  // A select on `>` (false for NaN) rather than Max, whose NaN handling differs between targets.
  auto largest = hn::Set(d, -HUGE_VAL);
  std::size_t i = first;
  for (; i + lanes <= last; i += lanes) {
    const auto v = hn::LoadU(d, G + i);
    largest = hn::IfThenElse(hn::Gt(v, largest), v, largest);
  }
  double max_value = -HUGE_VAL;
  for (std::size_t lane = 0; lane < lanes; ++lane) max_value = std::max(max_value, hn::ExtractLane(largest, lane));
  for (; i < last; ++i) max_value = G[i] > max_value ? G[i] : max_value;
  for (std::size_t k = first; k < last; ++k) {
    if (G[k] == max_value) return k;
  }
  return first;
}

}  // namespace HWY_NAMESPACE
}  // namespace glasslab::analysis
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace glasslab::analysis {

HWY_EXPORT(SeqTwiceTrapezoidShare);
HWY_EXPORT(GridIncreases);
HWY_EXPORT(IndexOfFirstMax);

double seq_integrand_r2_at(double r_A, double G_per_A2, double inv_4pi_rho0) {
  const double x_r = G_per_A2 * inv_4pi_rho0;
  const double x = x_r / r_A;
  if (std::abs(x) <= kSeqSeriesMaxAbsX) {
    const auto& a = detail::kSeriesCoefficients;
    double p = a.back();
    for (std::size_t k = a.size() - 1; k-- > 0;) p = std::fma(p, x, a[k]);
    return x_r * x_r * p;
  }
  const double g = x + 1.0;
  const double r2 = r_A * r_A;
  return g < kSeqGFloor ? r2 : (g * std::log(g) - g + 1.0) * r2;
}

double seq_twice_trapezoid_share(const double* r_A, const double* G_per_A2, double inv_4pi_rho0,
                                 std::size_t first, std::size_t end) {
  return HWY_DYNAMIC_DISPATCH(SeqTwiceTrapezoidShare)(r_A, G_per_A2, inv_4pi_rho0, first, end);
}

bool grid_increases(const double* r_A, std::size_t n) { return HWY_DYNAMIC_DISPATCH(GridIncreases)(r_A, n); }

std::size_t index_of_first_max(const double* G_per_A2, std::size_t first, std::size_t last) {
  return HWY_DYNAMIC_DISPATCH(IndexOfFirstMax)(G_per_A2, first, last);
}

}  // namespace glasslab::analysis
#endif  // HWY_ONCE
