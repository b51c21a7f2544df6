#pragma once
// Stage temperature at a frame's exposure start, middle and end, by linear interpolation of the
// time-sorted stage stream (reference detector-trigger.md: "At 10 K/min a 12 s frame spans 2 K:
// a frame needs T at exposure start, middle and end, not one value").
#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "acquisition/records.hpp"

namespace glasslab::acquisition::xrd {

/// Inside the stream T(t) is a least-squares line through the readings within this much of t
/// (at least kFitMinReadings of them), else the line between the bracketing readings. The T95
/// reports 0.1 °C steps with sensor noise (docs/simulators.md); at 10 K/min the two neighbours
/// of an instant alone leave up to ~0.07 K error, a local fit over ~30 readings a few mK.
/// A ramp is a straight line over 3 s, so the fit adds no bias there.
inline constexpr std::int64_t kFitHalfWindow_ns = 1'500'000'000;
inline constexpr int kFitMinReadings = 4;

struct InterpolatedT {
  std::optional<double> T_K;   ///< nullopt: no reading near enough
  bool extrapolated = false;   ///< the time lies outside the readings (straight line from the nearest two)
};

/// `readings` sorted by t_mono_ns. Inside the stream: the local line fit above.
/// Outside: linear extrapolation from the two nearest readings, flagged, when no farther than
/// `max_extrapolation_ns` from the nearest; otherwise no value.
InterpolatedT interpolate_T(const std::deque<StageReading>& readings, std::int64_t t_mono_ns,
                            std::int64_t max_extrapolation_ns);

struct FrameTemperatures {
  InterpolatedT start, mid, end;
  bool any_extrapolated() const { return start.extrapolated || mid.extrapolated || end.extrapolated; }
  bool complete() const { return start.T_K && mid.T_K && end.T_K; }
  /// e.g. "T_end extrapolated" / "T_start unknown (no stage reading within 5 s)"; empty when clean.
  std::string note(double max_extrapolation_s) const;
};

FrameTemperatures frame_temperatures(const std::deque<StageReading>& readings, std::int64_t start_mono_ns,
                                     std::int64_t end_mono_ns, std::int64_t max_extrapolation_ns);

}  // namespace glasslab::acquisition::xrd
