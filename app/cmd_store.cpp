// glasslab runs / glasslab export: the run store from the command line (docs/database.md).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "acquisition/store/csv_export.hpp"
#include "acquisition/store/run_reader.hpp"
#include "acquisition/store/run_store.hpp"
#include "app/commands.hpp"
#include "core/error.hpp"

namespace glasslab::app {

namespace {

using acquisition::RunSummary;

/// "1:35:12" (h:mm:ss) of experiment time, "-" while the run has no stop time.
std::string format_duration(const std::optional<double>& seconds) {
  if (!seconds || *seconds < 0) return "-";
  const auto total = static_cast<long long>(*seconds + 0.5);
  return fmt::format("{}:{:02}:{:02}", total / 3600, (total / 60) % 60, total % 60);
}

/// The sample's name for a table cell: "name", else "id", else the JSON itself, shortened.
std::string sample_label(const std::string& sample_json) {
  std::string label;
  try {
    const auto sample = nlohmann::json::parse(sample_json);
    for (const char* key : {"name", "id", "label"}) {
      if (sample.is_object() && sample.contains(key) && sample[key].is_string()) {
        label = sample[key].get<std::string>();
        break;
      }
    }
    if (label.empty() && !(sample.is_object() && sample.empty())) label = sample.dump();
  } catch (const nlohmann::json::exception&) {
    label = sample_json;  // stored as given; show it rather than hide it
  }
  constexpr std::size_t kMaxWidth = 32;
  if (label.size() > kMaxWidth) label = label.substr(0, kMaxWidth - 3) + "...";
  return label.empty() ? "-" : label;
}

std::string start_label(const std::string& start_utc) {
  // Seconds are enough in a table; the store keeps microseconds.
  return start_utc.size() >= 19 ? start_utc.substr(0, 10) + " " + start_utc.substr(11, 8) + "Z" : start_utc;
}

void print_runs_table(const std::vector<RunSummary>& runs) {
  const std::vector<std::string> header = {"id", "start (UTC)", "duration", "status", "sample", "schedule",
                                           "readings", "frames", "dma_points"};
  std::vector<std::vector<std::string>> rows;
  for (const auto& summary : runs) {
    const auto& run = summary.run;
    const auto schedule = std::filesystem::path(run.schedule_path).filename().string();
    rows.push_back({std::to_string(run.id), start_label(run.start_utc), format_duration(run.duration_s()),
                    run.exit_status, sample_label(run.sample_json), schedule.empty() ? "-" : schedule,
                    std::to_string(summary.stage_readings), std::to_string(summary.frames),
                    std::to_string(summary.dma_points)});
  }
  std::vector<std::size_t> widths(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) {
    widths[c] = header[c].size();
    for (const auto& row : rows) widths[c] = std::max(widths[c], row[c].size());
  }
  const auto print_row = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      const bool numeric = c == 0 || c >= 6;
      line += numeric ? fmt::format("{:>{}}", cells[c], widths[c]) : fmt::format("{:<{}}", cells[c], widths[c]);
      if (c + 1 < cells.size()) line += "  ";
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    fmt::print("{}\n", line);
  };
  print_row(header);
  for (const auto& row : rows) print_row(row);
}

void list_runs(const std::string& db_path) {
  if (std::filesystem::exists(db_path)) {
    // A run whose process died shows as interrupted, not as running forever (issue 7). Needs
    // write access; on a read-only copy the list is still shown, as stored.
    try {
      acquisition::RunStore::mark_interrupted_runs(db_path);
    } catch (const StoreError& e) {
      fmt::print(stderr, "glasslab: note: could not mark interrupted runs: {}\n", e.what());
    }
  }
  acquisition::RunReader reader(db_path);
  const auto runs = reader.list_runs();
  if (runs.empty()) {
    fmt::print("no runs in {}\n", db_path);
    return;
  }
  print_runs_table(runs);
}

struct ExportOptions {
  acquisition::RunId run = 0;
  std::string stream;
  std::string format = "csv";
  std::string db_path;
  std::string out_path;
};

void export_run(const ExportOptions& options) {
  const auto stream = acquisition::parse_stream(options.stream);
  if (!stream) throw UsageError(fmt::format("unknown stream '{}' (stage, frames, dma, events)", options.stream));
  if (options.format != "csv") throw UsageError(fmt::format("unknown format '{}' (csv)", options.format));
  acquisition::RunReader reader(options.db_path);
  (void)reader.run(options.run);  // unknown run: an error naming it and the database, before any file is made
  if (options.out_path.empty()) {
    reader.export_csv(options.run, *stream, std::cout);
    if (!std::cout) throw UsageError("writing the CSV to standard output failed");
    return;
  }
  // Written beside the target and renamed, so a failed export never leaves a half file behind.
  const auto partial = options.out_path + ".partial";
  {
    std::ofstream out(partial, std::ios::binary | std::ios::trunc);
    if (!out) throw UsageError(fmt::format("cannot write {}", partial));
    reader.export_csv(options.run, *stream, out);
    out.close();
    if (!out) throw UsageError(fmt::format("writing {} failed (disk full?)", partial));
  }
  std::filesystem::rename(partial, options.out_path);
  fmt::print(stderr, "exported {} stream of run {} to {}\n", acquisition::to_string(*stream), options.run,
             options.out_path);
}

}  // namespace

void add_store_commands(CLI::App& app) {
  auto runs_db = std::make_shared<std::string>(default_db_path());
  auto* runs = app.add_subcommand("runs", "List the runs in the run store");
  runs->add_option("--db", *runs_db, "SQLite run store")->capture_default_str();
  runs->callback([runs_db] { list_runs(*runs_db); });

  auto options = std::make_shared<ExportOptions>();
  options->db_path = default_db_path();
  auto* export_cmd = app.add_subcommand("export", "Export one stream of a run (CSV to stdout or --out FILE)");
  export_cmd->add_option("RUN", options->run, "Run id (see glasslab runs)")->required();
  export_cmd->add_option("--stream", options->stream, "stage, frames, dma or events")
      ->required()
      ->check(CLI::IsMember({"stage", "frames", "dma", "events"}));
  export_cmd->add_option("--format", options->format, "Output format")
      ->capture_default_str()
      ->check(CLI::IsMember({"csv"}));
  export_cmd->add_option("--db", options->db_path, "SQLite run store")->capture_default_str();
  export_cmd->add_option("--out", options->out_path, "Write to FILE instead of standard output");
  export_cmd->callback([options] { export_run(*options); });
}

}  // namespace glasslab::app
