// libFuzzer target: the rheometer service's reply parsers (drivers/rheometer/protocol), fed the
// way RheometerClient feeds them: the bytes are cut into lines at LF with one CR before the LF
// dropped (RheometerClient::read_line), each line goes to every single-line reply parser the
// client uses (OK/ERR, STATUS?, SYST:ERR?, PT, END), and the lines together go to
// parse_data_reply() as one DATA? reply (RheometerClient::fetch_new_points).
// Invariants (docs/rheometer-protocol.md): parsed numbers are finite; an error code is the integer
// written; a STATUS? state is one of the five documented; a point's index is >= 1; a DATA? reply
// delivers indices since+1, since+2, ... and, when it asks for more, it delivered something (else
// the client would ask forever).
#include <charconv>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "drivers/rheometer/protocol.hpp"
#include "fuzz/fuzz_support.hpp"

namespace {

namespace protocol = glasslab::rheometer::protocol;
using glasslab::ErrorCategory;
using glasslab::fuzz::parse_or_typed_error;
using glasslab::fuzz::require;

// RheometerClient::read_line: a line longer than this never reaches a parser.
constexpr std::size_t max_reply_line_bytes = 4096;

std::vector<std::string> reply_lines(std::string_view bytes) {
  std::vector<std::string> lines;
  for (std::size_t begin = 0; begin < bytes.size();) {
    const auto lf = bytes.find('\n', begin);
    if (lf == std::string_view::npos) break;  // no LF: the client times out, nothing is parsed
    std::string line(bytes.substr(begin, lf - begin));
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.size() < max_reply_line_bytes) lines.push_back(std::move(line));
    begin = lf + 1;
  }
  return lines;
}

void check_point(const glasslab::rheometer::DataPoint& p) {
  require(p.index >= 1, "point index >= 1");
  for (double value : {p.time_s, p.T_K, p.frequency_Hz, p.storage_Pa, p.loss_Pa, p.tan_delta, p.strain_pct,
                       p.force_N, p.torque_Nm})
    require(std::isfinite(value), "point values are finite");
}

void check_line(const std::string& line) {
  (void)protocol::is_ok(line);
  parse_or_typed_error(ErrorCategory::protocol, [&] {
    if (auto error = protocol::parse_error_reply(line)) require(line.rfind("ERR ", 0) == 0, "ERR reply starts with ERR");
  });
  parse_or_typed_error(ErrorCategory::protocol, [&] {
    const auto entry = protocol::parse_error_entry(line);
    std::int64_t written = 0;
    std::from_chars(line.data(), line.data() + line.find(','), written);
    require(entry.code == written, "SYST:ERR? code read as written, not wrapped (0 means no error)");
  });
  parse_or_typed_error(ErrorCategory::protocol, [&] {
    const auto status = protocol::parse_status(line);
    require(status.state == "IDLE" || status.state == "RUNNING" || status.state == "DONE" ||
                status.state == "ABORTED" || status.state == "FAULT",
            "STATUS? state is a documented one");
    require(std::isfinite(status.T_K) && std::isfinite(status.frequency_Hz), "STATUS? numbers are finite");
  });
  if (protocol::is_point_line(line))
    parse_or_typed_error(ErrorCategory::protocol, [&] { check_point(protocol::parse_point(line)); });
  if (protocol::is_end_line(line)) parse_or_typed_error(ErrorCategory::protocol, [&] { (void)protocol::parse_end(line); });
}

void check_data_reply(const std::vector<std::string>& lines, std::int64_t since_index) {
  parse_or_typed_error(ErrorCategory::protocol, [&] {
    const auto reply = protocol::parse_data_reply(lines, since_index);
    std::int64_t expected = since_index;
    for (const auto& p : reply.points) {
      check_point(p);
      require(p.index - expected == 1, "delivered indices follow since_index without a gap");
      expected = p.index;
    }
    require(reply.last_delivered_index == expected, "last delivered index is the last point's");
    require(!reply.more_available || !reply.points.empty(), "a reply that asks for more delivered something");
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::vector<std::string> lines = reply_lines(glasslab::fuzz::as_text(data, size));
  for (const auto& line : lines) check_line(line);
  if (!lines.empty()) {
    // since_index is the client's own count; the last one probes index arithmetic at the top.
    for (std::int64_t since : {std::int64_t{0}, std::int64_t{1}, std::numeric_limits<std::int64_t>::max() - 1})
      check_data_reply(lines, since);
  }
  return 0;
}
