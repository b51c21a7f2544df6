#include "dashboard/api/downsample.hpp"

#include <algorithm>
#include <cmath>

namespace glasslab::dashboard {

MinMaxDownsampler::MinMaxDownsampler(double x_min, double x_max, std::size_t buckets)
    : x_min_(x_min), x_span_(std::max(x_max - x_min, 1e-300)), buckets_(std::max<std::size_t>(buckets, 1)) {}

void MinMaxDownsampler::reset() {
  seen_ = 0;
  bucket_ = -1;
  has_point_ = false;
  out_ = {};
}

void MinMaxDownsampler::flush_bucket() {
  if (!has_point_) return;
  const Kept& first = low_.x <= high_.x ? low_ : high_;
  const Kept& second = low_.x <= high_.x ? high_ : low_;
  out_.x.push_back(first.x), out_.y.push_back(first.y), out_.y2.push_back(first.y2);
  if (second.x != first.x || second.y != first.y) {
    out_.x.push_back(second.x), out_.y.push_back(second.y), out_.y2.push_back(second.y2);
  }
  has_point_ = false;
}

void MinMaxDownsampler::add(double x, double y, double y2) {
  ++seen_;
  if (std::isnan(y)) return;
  const double position = (x - x_min_) / x_span_ * static_cast<double>(buckets_);
  const auto bucket = std::clamp<std::int64_t>(static_cast<std::int64_t>(std::floor(position)), 0,
                                               static_cast<std::int64_t>(buckets_) - 1);
  if (bucket != bucket_) {
    flush_bucket();
    bucket_ = bucket;
  }
  const Kept point{x, y, y2};
  if (!has_point_) {
    low_ = high_ = point;
    has_point_ = true;
    return;
  }
  if (y < low_.y) low_ = point;
  if (y > high_.y) high_ = point;
}

XYSeries MinMaxDownsampler::finish() {
  flush_bucket();
  XYSeries out = std::move(out_);
  reset();
  return out;
}

}  // namespace glasslab::dashboard
