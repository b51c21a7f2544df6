#include "acquisition/store/csv_export.hpp"

#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

#include "acquisition/store/sqlite.hpp"
#include "core/clock.hpp"

namespace glasslab::acquisition {

namespace {

// Headers are a contract with the analysis scripts and the issues' acceptance tests: change them
// only together with docs/database.md.
constexpr std::string_view kStageHeader =
    "t_utc,t_mono_s,T_K,setpoint_K,rate_K_per_min,status,error_bits,pump_speed,step_index";
constexpr std::string_view kEventsHeader = "t_utc,level,source,kind,message";
constexpr std::string_view kFramesHeader =
    "index,t_trigger_mono_s,t_start_utc,t_end_utc,start_source,T_start_K,T_mid_K,T_end_K,file,status,reason";
constexpr std::string_view kDmaHeader =
    "t_utc,t_mono_s,sweep,T_K,frequency_Hz,storage_modulus_Pa,loss_modulus_Pa,tan_delta,strain_pct,force_N,mode";

constexpr std::string_view kStageQuery =
    "SELECT s.t_utc_ns, s.t_mono_ns, s.T_K, s.setpoint_K, s.rate_K_per_min, st.name, s.error_bits, "
    "s.pump_speed, s.step_index FROM stage_readings s JOIN stage_status st ON st.id = s.status_id "
    "WHERE s.run_id = ?1 ORDER BY s.t_mono_ns";
constexpr std::string_view kEventsQuery =
    "SELECT t_utc_ns, level, source, kind, message FROM events WHERE run_id = ?1 ORDER BY t_mono_ns";
constexpr std::string_view kFramesQuery =
    "SELECT frame_index, trigger_mono_ns, t_start_utc_ns, t_end_utc_ns, start_source, T_start_K, T_mid_K, T_end_K, "
    "file, status, reason FROM frames WHERE run_id = ?1 ORDER BY frame_index";
constexpr std::string_view kDmaQuery =
    "SELECT t_utc_ns, t_mono_ns, sweep, T_K, frequency_Hz, storage_modulus_Pa, loss_modulus_Pa, tan_delta, "
    "strain_pct, force_N, mode FROM dma_points WHERE run_id = ?1 ORDER BY t_mono_ns";

// Column kinds of a query, in SELECT order: how each column becomes a CSV field.
enum class Cell { utc, seconds, number, integer, text };

void write_rows(sqlite::Statement& query, std::initializer_list<Cell> cells, std::ostream& out) {
  std::string line;
  while (query.step()) {
    line.clear();
    int column = 0;
    for (const Cell cell : cells) {
      if (column > 0) line += ',';
      if (!query.is_null(column)) {
        switch (cell) {
          case Cell::utc: line += format_utc(query.column_int(column)); break;
          case Cell::seconds: line += format_seconds(query.column_int(column)); break;
          case Cell::number: line += format_number(query.column_double(column)); break;
          case Cell::integer: line += std::to_string(query.column_int(column)); break;
          case Cell::text: line += csv_field(query.column_text(column)); break;
        }
      }
      ++column;
    }
    line += '\n';
    out << line;
  }
}

}  // namespace

std::optional<Stream> parse_stream(std::string_view name) {
  if (name == "stage") return Stream::stage;
  if (name == "events" || name == "event") return Stream::events;
  if (name == "frames" || name == "frame") return Stream::frames;
  if (name == "dma" || name == "dma_points") return Stream::dma;
  return std::nullopt;
}

std::string_view to_string(Stream stream) {
  switch (stream) {
    case Stream::stage: return "stage";
    case Stream::events: return "events";
    case Stream::frames: return "frames";
    case Stream::dma: return "dma";
  }
  return "unknown";
}

std::string_view csv_header(Stream stream) {
  switch (stream) {
    case Stream::stage: return kStageHeader;
    case Stream::events: return kEventsHeader;
    case Stream::frames: return kFramesHeader;
    case Stream::dma: return kDmaHeader;
  }
  return {};
}

void write_csv(sqlite::Database& db, RunId run, Stream stream, std::ostream& out) {
  out << csv_header(stream) << '\n';
  using C = Cell;
  switch (stream) {
    case Stream::stage: {
      auto query = db.prepare(kStageQuery);
      query.bind(1, run);
      write_rows(query, {C::utc, C::seconds, C::number, C::number, C::number, C::text, C::integer, C::integer,
                         C::integer}, out);
      break;
    }
    case Stream::events: {
      auto query = db.prepare(kEventsQuery);
      query.bind(1, run);
      write_rows(query, {C::utc, C::text, C::text, C::text, C::text}, out);
      break;
    }
    case Stream::frames: {
      auto query = db.prepare(kFramesQuery);
      query.bind(1, run);
      write_rows(query, {C::integer, C::seconds, C::utc, C::utc, C::text, C::number, C::number, C::number, C::text,
                         C::text, C::text}, out);
      break;
    }
    case Stream::dma: {
      auto query = db.prepare(kDmaQuery);
      query.bind(1, run);
      write_rows(query, {C::utc, C::seconds, C::text, C::number, C::number, C::number, C::number, C::number,
                         C::number, C::number, C::text}, out);
      break;
    }
  }
  out.flush();
}

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string quoted = "\"";
  for (const char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

std::string format_seconds(std::int64_t ns) {
  // Integer arithmetic: a double would round monotonic times of a long uptime.
  const bool negative = ns < 0;
  const auto magnitude = negative ? -static_cast<unsigned long long>(ns) : static_cast<unsigned long long>(ns);
  return fmt::format("{}{}.{:09}", negative ? "-" : "", magnitude / 1'000'000'000ULL, magnitude % 1'000'000'000ULL);
}

std::string format_number(std::optional<double> value) {
  if (!value || std::isnan(*value)) return {};
  return fmt::format("{}", *value);
}

}  // namespace glasslab::acquisition
