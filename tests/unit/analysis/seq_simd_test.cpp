// The SIMD kernels of Eqs. 1-2 (analysis/seq_simd.hpp): the series form of s against an accurate
// reference, the vector path against its scalar twin, on every instruction set Highway compiled
// that this CPU has (hwy::SetSupportedTargetsForTest forces each in turn).
#include <doctest/doctest.h>

#include <hwy/targets.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "analysis/seq.hpp"
#include "analysis/seq_simd.hpp"
#include "tests/unit/analysis/synthetic.hpp"

using namespace glasslab::analysis;

namespace {

/// Runs `check` once per instruction set this CPU supports and the build generated, then restores
/// the normal choice.
template <class Check>
void for_each_simd_target(const Check& check) {
  const std::vector<int64_t> targets = hwy::SupportedAndGeneratedTargets();
  REQUIRE(!targets.empty());
  std::set<std::size_t> dispatch_indices;  // each forced target really selects its own code
  for (const int64_t target : targets) {
    hwy::SetSupportedTargetsForTest(target);
    INFO("SIMD target ", hwy::TargetName(target));
    check();
    dispatch_indices.insert(hwy::GetChosenTarget().GetIndex());
  }
  hwy::SetSupportedTargetsForTest(0);
  CHECK(dispatch_indices.size() == targets.size());
}

/// s(1 + x) r^2 with r = 1 through the scalar twin, G chosen so that x = G c / r is the given x.
double s_of_x(double x) { return seq_integrand_r2_at(1.0, x, 1.0); }

/// The sum the kernel must return, term by term with the scalar twin, in long double.
long double twice_share_reference(const std::vector<double>& r, const std::vector<double>& G, double c,
                                  std::size_t first, std::size_t end) {
  long double sum = 0;
  for (std::size_t i = first; i < end; ++i) {
    const double weight = (i + 1 < end ? r[i + 1] : r[i]) - (i > 0 ? r[i - 1] : 0.0);
    sum += static_cast<long double>(seq_integrand_r2_at(r[i], G[i], c)) * weight;
  }
  return sum;
}

}  // namespace

TEST_CASE("the series of s near g = 1 matches (1 + x) ln(1 + x) - x to 1e-15 relative") {
  // Reference in long double with log1p: its own error is ~1e-19 / |x| relative, so |x| >= 1e-3.
  for (double x = -kSeqSeriesMaxAbsX; x <= kSeqSeriesMaxAbsX; x += kSeqSeriesMaxAbsX / 997) {
    if (std::abs(x) < 1e-3) continue;
    const long double xl = x;
    const long double reference = (1 + xl) * std::log1p(xl) - xl;
    INFO("x = ", x);
    CHECK(std::abs(static_cast<long double>(s_of_x(x)) - reference) <= 1e-15L * reference);
  }
  // Tiny x: the series' first five terms, x^2/2 - x^3/6 + x^4/12 - x^5/20 + x^6/30, are exact enough.
  for (const double x : {1e-8, -1e-8, 3e-5, -3e-5}) {
    const double expected = x * x * (1.0 / 2 - x * (1.0 / 6 - x * (1.0 / 12 - x * (1.0 / 20 - x / 30))));
    CHECK(std::abs(s_of_x(x) - expected) <= 1e-15 * expected);
  }
}

TEST_CASE("s is continuous where the series hands over to the log") {
  for (const double sign : {1.0, -1.0}) {
    const double inside = sign * kSeqSeriesMaxAbsX;
    const double outside = std::nextafter(inside, sign * 1.0);
    // The log form at |x| = 1/16 carries its cancellation, a few ulp of g ln g ~ 0.07: ~1e-14 of s.
    CHECK(std::abs(s_of_x(outside) - s_of_x(inside)) <= 5e-14 * s_of_x(inside));
  }
  CHECK(s_of_x(-1.0 + 1e-11) == 1.0);  // g < 1e-10: the community's floor, integrand r^2
  CHECK(s_of_x(0.0) == 0.0);
}

TEST_CASE("the vector trapezoid share equals the scalar twin's, on every SIMD target") {
  // A glass G(r) (log form below ~9 A, series beyond), from r = 0.01 and from a non-uniform grid,
  // with every first/end alignment a vector can meet, and a stretch below the floor (g < 1e-10).
  std::vector<double> r, G;
  synthetic::glass_G(0.0538345, 0.01, 40.0, 0.05, 3, r, G);
  const double c = 1.0 / (4 * std::numbers::pi * 0.0538345);
  std::vector<double> r_uneven = r;
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> step(0.005, 0.015);
  double at = 0;
  for (double& ri : r_uneven) ri = (at += step(rng));
  for_each_simd_target([&] {
    for (const auto* grid : {&r, &r_uneven}) {
      for (const std::size_t first : {0u, 1u, 3u, 7u, 100u}) {
        for (const std::size_t end : {first, first + 1, first + 9, std::size_t{1000}, std::size_t{3999}, r.size()}) {
          if (end < first || end > r.size()) continue;
          const long double expected = twice_share_reference(*grid, G, c, first, end);
          const double got = seq_twice_trapezoid_share(grid->data(), G.data(), c, first, end);
          INFO("first ", first, " end ", end);
          CHECK(std::abs(got - expected) <= 1e-13L * std::abs(expected) + 1e-300L);
        }
      }
    }
  });
}

TEST_CASE("grid_increases finds a repeated, falling or NaN radius at any position") {
  for_each_simd_target([] {
    for (const std::size_t n : {1u, 2u, 9u, 17u, 64u, 101u}) {
      std::vector<double> r(n);
      for (std::size_t i = 0; i < n; ++i) r[i] = 0.01 * static_cast<double>(i + 1);
      CHECK(grid_increases(r.data(), n));
      for (std::size_t bad = 1; bad < n; ++bad) {
        INFO("n ", n, " at ", bad);
        std::vector<double> repeated = r, nan = r;
        repeated[bad] = repeated[bad - 1];
        nan[bad] = std::numeric_limits<double>::quiet_NaN();
        CHECK_FALSE(grid_increases(repeated.data(), n));
        CHECK_FALSE(grid_increases(nan.data(), n));
      }
    }
  });
}

TEST_CASE("index_of_first_max returns the first of equal maxima and skips NaN") {
  for_each_simd_target([] {
    for (const std::size_t n : {1u, 5u, 8u, 23u, 410u}) {
      for (std::size_t peak = 0; peak < n; peak += 3) {
        std::vector<double> G(n + 4);
        for (std::size_t i = 0; i < n + 4; ++i) G[i] = -std::abs(static_cast<double>(i) - static_cast<double>(peak + 2));
        if (peak + 3 < n + 2) G[peak + 3] = 0.0;  // a tie after the peak: the first one wins
        G[0] = std::numeric_limits<double>::quiet_NaN();
        INFO("n ", n, " peak ", peak);
        CHECK(index_of_first_max(G.data(), 2, n + 2) == peak + 2);
      }
    }
    const double nan = std::numeric_limits<double>::quiet_NaN();
    std::vector<double> all_nan(12, nan);
    CHECK(index_of_first_max(all_nan.data(), 1, 12) == 1);
    std::vector<double> nan_then_peak{nan, nan, 0.5, 2.0, nan, 1.0, 2.0, 0.1, nan, 0.2, 3.0, nan};
    CHECK(index_of_first_max(nan_then_peak.data(), 0, 12) == 10);
    CHECK(index_of_first_max(nan_then_peak.data(), 0, 10) == 3);
  });
}
