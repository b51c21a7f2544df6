// Min/max downsampling: what a chart of a million readings is drawn from.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "dashboard/api/downsample.hpp"

using glasslab::dashboard::MinMaxDownsampler;

TEST_CASE("a million points become at most two per bucket, keeping every extreme in time order") {
  constexpr int n = 1'000'000;
  constexpr std::size_t buckets = 1000;
  MinMaxDownsampler sampler(0, n - 1, buckets);
  double global_min = INFINITY, global_max = -INFINITY;
  for (int i = 0; i < n; ++i) {
    double y = 300 + 50 * std::sin(i * 1e-4);
    if (i == 123'457) y = 900;  // one spike, as a sensor glitch would be
    if (i == 654'321) y = 10;
    global_min = std::min(global_min, y), global_max = std::max(global_max, y);
    sampler.add(i, y, 2.0 * i);
  }
  CHECK(sampler.points_seen() == n);
  const auto out = sampler.finish();
  CHECK(out.x.size() <= 2 * buckets);
  CHECK(out.x.size() >= buckets);
  for (std::size_t i = 1; i < out.x.size(); ++i) CHECK_MESSAGE(out.x[i] > out.x[i - 1], "x not increasing at " << i);
  CHECK(*std::max_element(out.y.begin(), out.y.end()) == global_max);
  CHECK(*std::min_element(out.y.begin(), out.y.end()) == global_min);
  for (std::size_t i = 0; i < out.x.size(); ++i) CHECK(out.y2[i] == 2.0 * out.x[i]);  // the companion travels along
}

TEST_CASE("each bucket keeps exactly its lowest and highest point") {
  MinMaxDownsampler sampler(0, 10, 2);  // buckets [0, 5) and [5, 10]
  const double ys[] = {3, 1, 4, 1.5, 9, 2, 6, 5, 3, 5, 8};
  for (int i = 0; i <= 10; ++i) sampler.add(i, ys[i], 0);
  const auto out = sampler.finish();
  REQUIRE(out.x.size() == 4);
  CHECK(out.x == std::vector<double>{1, 4, 5, 10});
  CHECK(out.y == std::vector<double>{1, 9, 2, 8});
}

TEST_CASE("missing values are skipped and a flat bucket gives one point") {
  MinMaxDownsampler sampler(0, 3, 1);
  sampler.add(0, std::numeric_limits<double>::quiet_NaN(), 0);
  sampler.add(1, 5, 0);
  sampler.add(2, 5, 0);
  const auto out = sampler.finish();
  CHECK(out.x == std::vector<double>{1});
  CHECK(sampler.finish().x.empty());  // reset after finish
}
