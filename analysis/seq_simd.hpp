// The SIMD kernels of Eqs. 1 and 2 (../shared/reference/seq-analysis.md): the integrand with the
// trapezoid's sum, the grid's monotonicity check and the first peak's search. Highway picks the
// widest instruction set the CPU has (AVX-512, AVX2, SSE4, ...) at run time.
//
// The integrand is f(r) = s(g(r)) r^2 with g = 1 + x, x = G / (4 pi rho0 r) (Eq. 1), and
// s(g) = g ln g - g + 1 (r^2 where g < kSeqGFloor). Two ways to evaluate s, chosen per vector:
// - near g = 1 (|x| <= kSeqSeriesMaxAbsX in every lane), the Taylor series of s about g = 1,
//   s = sum_{n>=2} (-x)^n / (n (n-1)) = x^2/2 - x^3/6 + x^4/12 - ..., to n = 13: truncation error
//   below 1e-16 relative. It is also the more accurate form there: g ln g - g + 1 at g = 1 + x
//   cancels to x^2/2, so rounding g to 1 + x costs ~2 eps / |x| relative (4e-14 at x = 0.01), while
//   the series works on x itself. Beyond r ~ 10 A, where G(r) has decayed, most points are here.
// - elsewhere, Highway's vectorised natural log (hwy/contrib/math, <= 2 ulp).
#pragma once

#include <cstddef>

namespace glasslab::analysis {

/// The series is used where |x| = |g - 1| is at most this (13 terms: truncation < 1e-16 relative).
inline constexpr double kSeqSeriesMaxAbsX = 1.0 / 16;

/// f = s(g) r^2 at one point with r > 0 (the scalar twin of the vector form).
double seq_integrand_r2_at(double r_A, double G_per_A2, double inv_4pi_rho0);

/// Twice the trapezoid rule's share of points [first, end) of an increasing grid that starts at an
/// implicit point r = 0 and ends at r[end - 1]: sum f_i (r_{i+1} - r_{i-1}), with r_{-1} = 0 and
/// r_end read as r_{end-1}. (Each f_i carries the halves of its two segments: the same sum as
/// sum (f_{i-1} + f_i)(r_i - r_{i-1}) without a second pass over f.) Every r_i in [first, end)
/// must be > 0.
double seq_twice_trapezoid_share(const double* r_A, const double* G_per_A2, double inv_4pi_rho0,
                                 std::size_t first, std::size_t end);

/// r_{i+1} - r_{i-1}: the width point i carries in seq_twice_trapezoid_share's sum.
inline double trapezoid_share_width(const double* r_A, std::size_t i, std::size_t end) {
  return (i + 1 < end ? r_A[i + 1] : r_A[i]) - (i > 0 ? r_A[i - 1] : 0.0);
}

/// True when r_i > r_{i-1} for every i in [1, n) (false on NaN).
bool grid_increases(const double* r_A, std::size_t n);

/// The first index in [first, last) of the largest G, NaNs skipped; `first` when all are NaN.
/// Requires first < last.
std::size_t index_of_first_max(const double* G_per_A2, std::size_t first, std::size_t last);

}  // namespace glasslab::analysis
