#include "drivers/rheometer/protocol.hpp"

#include <charconv>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace glasslab::rheometer {

namespace {

[[noreturn]] void fail(std::string_view line, const std::string& why) {
  throw ProtocolError(fmt::format("rheometer reply '{}': {}", line, why));
}

std::vector<std::string_view> split_commas(std::string_view text) {
  std::vector<std::string_view> fields;
  std::size_t begin = 0;
  while (true) {
    const auto comma = text.find(',', begin);
    std::string_view field = text.substr(begin, comma == std::string_view::npos ? std::string_view::npos : comma - begin);
    while (!field.empty() && field.front() == ' ') field.remove_prefix(1);
    while (!field.empty() && field.back() == ' ') field.remove_suffix(1);
    fields.push_back(field);
    if (comma == std::string_view::npos) return fields;
    begin = comma + 1;
  }
}

// Numbers on the wire are decimal (docs/rheometer-protocol.md); from_chars also reads "nan" and
// "inf", which would reach the run store as a measured value.
double to_double(std::string_view line, std::string_view field, const char* what) {
  double value = 0;
  const auto [ptr, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
  if (ec != std::errc() || ptr != field.data() + field.size())
    fail(line, fmt::format("{} '{}' is not a number", what, field));
  if (!std::isfinite(value)) fail(line, fmt::format("{} '{}' is not a finite number", what, field));
  return value;
}

std::int64_t to_integer(std::string_view line, std::string_view field, const char* what) {
  std::int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
  if (ec != std::errc() || ptr != field.data() + field.size())
    fail(line, fmt::format("{} '{}' is not an integer", what, field));
  return value;
}

// `<code>,"<message>"` with SCPI quote doubling.
ErrorEntry parse_code_and_message(std::string_view line, std::string_view text) {
  const auto comma = text.find(',');
  if (comma == std::string_view::npos) fail(line, "expected <code>,\"<message>\"");
  ErrorEntry entry;
  // An error code wider than int would wrap: 4294967296 would read as 0, "no error".
  const std::int64_t code = to_integer(line, text.substr(0, comma), "error code");
  if (code < std::numeric_limits<int>::min() || code > std::numeric_limits<int>::max())
    fail(line, fmt::format("error code {} is out of range", code));
  entry.code = static_cast<int>(code);
  std::string_view quoted = text.substr(comma + 1);
  if (quoted.size() < 2 || quoted.front() != '"' || quoted.back() != '"') fail(line, "error message is not quoted");
  quoted = quoted.substr(1, quoted.size() - 2);
  for (std::size_t i = 0; i < quoted.size(); ++i) {
    entry.message += quoted[i];
    if (quoted[i] == '"' && i + 1 < quoted.size() && quoted[i + 1] == '"') ++i;
  }
  return entry;
}

std::string join_numbers(const std::vector<double>& values) {
  std::string out;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    out += protocol::format_number(values[i]);
  }
  return out;
}

}  // namespace

std::string_view to_string(Mode mode) { return mode == Mode::torsion ? "torsion" : "bending"; }

Mode parse_mode(std::string_view text) {
  if (text == "TORSION" || text == "torsion" || text == "Torsion") return Mode::torsion;
  if (text == "BENDING" || text == "bending" || text == "Bending") return Mode::bending;
  throw ProtocolError(fmt::format("rheometer mode '{}' is neither TORSION nor BENDING", text));
}

namespace protocol {

std::string format_number(double value) {
  if (!std::isfinite(value)) throw ProtocolError(fmt::format("rheometer: cannot send non-finite number {}", value));
  return fmt::format("{}", value);  // fmt's shortest round-trip form, locale independent
}

std::vector<std::string> encode_configuration(const SweepConfiguration& c) {
  std::vector<std::string> lines;
  lines.push_back(fmt::format("MODE {}\n", c.mode == Mode::torsion ? "TORSION" : "BENDING"));
  lines.push_back(fmt::format("GEOM {},{},{},{}\n", c.geometry.shape == Geometry::Shape::rectangular ? "RECT" : "3PB",
                              format_number(c.geometry.length_mm), format_number(c.geometry.width_mm),
                              format_number(c.geometry.thickness_mm)));
  lines.push_back(fmt::format("STRAIN {}\n", format_number(c.strain_pct)));
  lines.push_back(fmt::format("FORCE {}\n", format_number(c.static_force_N)));
  lines.push_back(fmt::format("FREQ {}\n", join_numbers(c.frequencies_Hz)));
  lines.push_back(fmt::format("CYCLES {},{}\n", c.delay_cycles, c.acquisition_cycles));
  lines.push_back(fmt::format("APPROACH {}\n", format_number(c.approach_rate_K_per_min)));
  if (const auto* ramp = std::get_if<TemperatureRamp>(&c.temperature)) {
    lines.push_back(fmt::format("RAMP {},{},{}\n", format_number(ramp->from_K), format_number(ramp->to_K),
                                format_number(ramp->rate_K_per_min)));
  } else {
    const auto& steps = std::get<TemperatureSteps>(c.temperature);
    lines.push_back(fmt::format("STEPS {},{}\n", join_numbers(steps.temperatures_K), format_number(steps.soak_s)));
  }
  return lines;
}

std::string encode_data_query(std::int64_t since_index) {
  if (since_index < 0) throw ProtocolError(fmt::format("rheometer: DATA? index {} is negative", since_index));
  return fmt::format("DATA? {}\n", since_index);
}

bool is_ok(std::string_view line) { return line == "OK"; }

std::optional<ErrorEntry> parse_error_reply(std::string_view line) {
  if (line.substr(0, 4) != "ERR ") return std::nullopt;
  return parse_code_and_message(line, line.substr(4));
}

ErrorEntry parse_error_entry(std::string_view line) { return parse_code_and_message(line, line); }

InstrumentStatus parse_status(std::string_view line) {
  const auto fields = split_commas(line);
  if (fields.size() != 5) fail(line, fmt::format("STATUS? has {} fields, expected 5", fields.size()));
  InstrumentStatus status;
  status.state = std::string(fields[0]);
  if (status.state != "IDLE" && status.state != "RUNNING" && status.state != "DONE" && status.state != "ABORTED" &&
      status.state != "FAULT")
    fail(line, fmt::format("unknown state '{}'", status.state));
  status.T_K = to_double(line, fields[1], "T_K");
  status.last_index = to_integer(line, fields[2], "last index");
  status.frequency_Hz = to_double(line, fields[3], "frequency");
  status.run_number = to_integer(line, fields[4], "run number");
  return status;
}

bool is_point_line(std::string_view line) { return line.substr(0, 3) == "PT "; }
bool is_end_line(std::string_view line) { return line.substr(0, 4) == "END "; }

DataPoint parse_point(std::string_view line) {
  if (!is_point_line(line)) fail(line, "expected a PT line");
  const auto fields = split_commas(line.substr(3));
  if (fields.size() != 11) fail(line, fmt::format("PT has {} fields, expected 11", fields.size()));
  DataPoint p;
  p.index = to_integer(line, fields[0], "index");
  p.time_s = to_double(line, fields[1], "time_s");
  p.T_K = to_double(line, fields[2], "T_K");
  p.frequency_Hz = to_double(line, fields[3], "f_Hz");
  p.storage_Pa = to_double(line, fields[4], "storage");
  p.loss_Pa = to_double(line, fields[5], "loss");
  p.tan_delta = to_double(line, fields[6], "tan_delta");
  p.strain_pct = to_double(line, fields[7], "strain");
  p.force_N = to_double(line, fields[8], "force");
  p.torque_Nm = to_double(line, fields[9], "torque");
  try {
    p.mode = parse_mode(fields[10]);
  } catch (const ProtocolError&) {
    fail(line, fmt::format("mode '{}'", fields[10]));
  }
  if (p.index < 1) fail(line, "index must be >= 1");
  return p;
}

DataEnd parse_end(std::string_view line) {
  if (!is_end_line(line)) fail(line, "expected an END line");
  const auto fields = split_commas(line.substr(4));
  if (fields.size() != 2) fail(line, "END needs <n>,<last_index>");
  DataEnd end;
  const auto count = to_integer(line, fields[0], "count");
  if (count < 0) fail(line, "negative count");
  end.count = static_cast<std::size_t>(count);
  end.last_index = to_integer(line, fields[1], "last index");
  return end;
}

DataReply parse_data_reply(const std::vector<std::string>& lines, std::int64_t since_index) {
  if (lines.empty()) throw ProtocolError(fmt::format("rheometer DATA? {} reply: no lines", since_index));
  const DataEnd end = parse_end(lines.back());
  const std::size_t point_lines = lines.size() - 1;
  if (end.count != point_lines)
    throw ProtocolError(fmt::format("rheometer DATA? {} reply: END says {} points, {} arrived", since_index,
                                    end.count, point_lines));
  DataReply reply;
  reply.last_delivered_index = since_index;
  for (std::size_t i = 0; i < point_lines; ++i) {
    DataPoint point = parse_point(lines[i]);
    if (point.index <= reply.last_delivered_index) continue;  // already delivered: never twice
    if (point.index - reply.last_delivered_index != 1)
      throw ProtocolError(fmt::format("rheometer DATA? {} reply: point index {} follows {} (gap)", since_index,
                                      point.index, reply.last_delivered_index));
    reply.last_delivered_index = point.index;
    reply.points.push_back(point);
  }
  reply.more_available = end.count >= max_points_per_reply && reply.last_delivered_index < end.last_index;
  // A full reply of repeats would make the client ask the same DATA? forever.
  if (reply.more_available && reply.points.empty())
    throw ProtocolError(fmt::format("rheometer DATA? {} reply: {} points, none after index {}, while END says {} is "
                                    "available",
                                    since_index, end.count, since_index, end.last_index));
  return reply;
}

}  // namespace protocol
}  // namespace glasslab::rheometer
