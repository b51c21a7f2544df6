#pragma once
// CSV export of one stream of a run (glasslab export RUN --stream S --format csv). RFC 4180
// quoting; UTC as ISO-8601 with microseconds and Z (format_utc); monotonic seconds exact to the
// nanosecond; numbers in their shortest round-trip form; missing values as empty cells.
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "acquisition/records.hpp"

namespace glasslab::acquisition {

/// The exportable streams of a run.
enum class Stream { stage, events, frames, dma };
/// "stage", "events", "frames", "dma" (also "event", "frame", "dma_points"); nullopt otherwise.
std::optional<Stream> parse_stream(std::string_view name);
std::string_view to_string(Stream stream);

namespace sqlite {
class Database;
}

/// The header line (without newline) of a stream, e.g. "t_utc,t_mono_s,T_K,...".
std::string_view csv_header(Stream stream);

/// Writes the header and every row of `stream` for `run`. Does not check that the run exists.
void write_csv(sqlite::Database& db, RunId run, Stream stream, std::ostream& out);

/// One CSV field: quoted (with doubled quotes) when it holds a comma, quote, CR or LF.
std::string csv_field(std::string_view text);
/// Nanoseconds as seconds with nine exact decimals ("12.000000500", "-0.250000000").
std::string format_seconds(std::int64_t ns);
/// Shortest text that reads back as the same double; empty for a missing value or NaN.
std::string format_number(std::optional<double> value);

}  // namespace glasslab::acquisition
