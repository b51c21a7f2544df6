#pragma once
// Pure encode/parse of the rheometer service's line protocol (docs/rheometer-protocol.md).
// Lines in, typed values out; no I/O. The simulator (sim/rheometer/) implements the other side
// independently, so a codec bug cannot hide on both sides.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/error.hpp"

namespace glasslab::rheometer {

enum class Mode { torsion, bending };

std::string_view to_string(Mode mode);  ///< "torsion" / "bending"
Mode parse_mode(std::string_view text);  ///< accepts TORSION/torsion/BENDING/bending; throws ProtocolError

/// Sample geometry: a rectangular bar in torsion, or a bar on a three-point-bending fixture.
struct Geometry {
  enum class Shape { rectangular, three_point_bending };
  Shape shape = Shape::rectangular;
  double length_mm = 20;  ///< free length (torsion) or support span (bending)
  double width_mm = 4;
  double thickness_mm = 1;
};

struct TemperatureRamp {
  double from_K = 0;
  double to_K = 0;
  double rate_K_per_min = 0;
};

struct TemperatureSteps {
  std::vector<double> temperatures_K;
  double soak_s = 0;
};

/// Everything a sweep needs, sent as MODE, GEOM, STRAIN, FORCE, FREQ, CYCLES, APPROACH, RAMP|STEPS.
struct SweepConfiguration {
  Mode mode = Mode::torsion;
  Geometry geometry;
  double strain_pct = 0.01;
  double static_force_N = 0.5;
  std::vector<double> frequencies_Hz;
  int delay_cycles = 1;
  int acquisition_cycles = 3;
  /// How fast the oven goes from where it is to the first temperature, and between steps
  /// (APPROACH; the service's default after *RST is 20 K/min).
  double approach_rate_K_per_min = 20;
  std::variant<TemperatureRamp, TemperatureSteps> temperature;
};

struct InstrumentStatus {
  std::string state;           ///< IDLE, RUNNING, DONE, ABORTED, FAULT
  double T_K = 0;
  std::int64_t last_index = 0;
  double frequency_Hz = 0;
  std::int64_t run_number = 0;

  bool running() const { return state == "RUNNING"; }
  bool done() const { return state == "DONE"; }
  bool faulted() const { return state == "FAULT"; }
};

struct DataPoint {
  std::int64_t index = 0;
  double time_s = 0;
  double T_K = 0;
  double frequency_Hz = 0;
  double storage_Pa = 0;
  double loss_Pa = 0;
  double tan_delta = 0;
  double strain_pct = 0;
  double force_N = 0;
  double torque_Nm = 0;
  Mode mode = Mode::torsion;
};

struct DataEnd {
  std::size_t count = 0;
  std::int64_t last_index = 0;
};

/// What one whole `DATA? <since>` reply delivers.
struct DataReply {
  std::vector<DataPoint> points;        ///< the new points, indices since+1, since+2, ... without a gap
  std::int64_t last_delivered_index = 0;  ///< since + points.size()
  bool more_available = false;          ///< a full reply with points still to come: ask again
};

/// An entry of the error queue, or the content of an `ERR` reply.
struct ErrorEntry {
  int code = 0;
  std::string message;
};

namespace protocol {

inline constexpr std::uint16_t default_port = 5025;
inline constexpr std::size_t max_points_per_reply = 500;

/// Decimal, C locale, shortest round-trip form ("0.05", "123.15", "1e-05").
std::string format_number(double value);

/// The configuration as command lines (each ending in LF), in the order they must be sent.
std::vector<std::string> encode_configuration(const SweepConfiguration& configuration);
std::string encode_data_query(std::int64_t since_index);

bool is_ok(std::string_view line);
/// `ERR <code>,"<message>"` → entry; nullopt for any other line.
std::optional<ErrorEntry> parse_error_reply(std::string_view line);
/// SYST:ERR? reply `<code>,"<message>"`; code 0 means the queue is empty.
ErrorEntry parse_error_entry(std::string_view line);
/// `STATUS?` reply `<state>,<T_K>,<last_index>,<f_Hz>,<run>`.
InstrumentStatus parse_status(std::string_view line);
bool is_point_line(std::string_view line);
bool is_end_line(std::string_view line);
/// `PT <index>,<time_s>,<T_K>,<f_Hz>,<storage>,<loss>,<tan_delta>,<strain>,<force>,<torque>,<mode>`.
DataPoint parse_point(std::string_view line);
/// `END <n>,<last_index>`.
DataEnd parse_end(std::string_view line);
/// A whole `DATA? <since_index>` reply (PT lines, then END), checked before any point counts as
/// delivered: END's count must match the PT lines and the new indices must follow since_index
/// without a gap. Points at or before since_index (a repeat after a reconnect) are dropped, never
/// delivered twice; a full reply holding only such repeats is an error (asking again would loop).
/// Throws ProtocolError; the caller checks for `ERR` first.
DataReply parse_data_reply(const std::vector<std::string>& lines, std::int64_t since_index);

}  // namespace protocol
}  // namespace glasslab::rheometer
