#pragma once
// Server-side downsampling for the dashboard's charts (issue 6: a run of 1 million stage readings
// must draw in under 2 s). Min/max per bucket: the time axis is cut into as many equal buckets as
// the chart has pixels, and each bucket keeps its lowest and its highest point, in time order. A
// line through them looks the same at that width as a line through every point (every excursion
// and every gap stays visible), from at most 2 x buckets points instead of millions.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace glasslab::dashboard {

struct XYSeries {
  std::vector<double> x;
  std::vector<double> y;
  std::vector<double> y2;  ///< a companion value carried with each kept point (e.g. the setpoint)
};

class MinMaxDownsampler {
public:
  /// Points with x in [x_min, x_max] go into `buckets` equal-width buckets (buckets >= 1).
  MinMaxDownsampler(double x_min, double x_max, std::size_t buckets);

  /// Points must come in increasing x. A NaN y is skipped (the chart shows a gap from the
  /// missing x-range anyway).
  void add(double x, double y, double y2);
  /// The kept points in x order; the downsampler can be reused after reset().
  XYSeries finish();
  void reset();

  std::size_t points_seen() const { return seen_; }

private:
  struct Kept {
    double x, y, y2;
  };
  void flush_bucket();

  double x_min_, x_span_;
  std::size_t buckets_;
  std::size_t seen_ = 0;
  std::int64_t bucket_ = -1;
  bool has_point_ = false;
  Kept low_{}, high_{};
  XYSeries out_;
};

}  // namespace glasslab::dashboard
