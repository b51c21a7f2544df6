// glasslab import trios PATH [--watch] [--db PATH]: TRIOS exports of the real DHR-3 into the run
// store, one DMA run per file (docs/rheometer-protocol.md explains why exports are the way in).
#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include "acquisition/dma/trios_import.hpp"
#include "acquisition/store/run_store.hpp"
#include "acquisition/xrd/folder_watcher.hpp"
#include "app/commands.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"

namespace glasslab::app {

namespace {

namespace fs = std::filesystem;
namespace trios = rheometer::trios;

std::atomic<bool> stop_watching{false};
void on_import_stop_signal(int) { stop_watching = true; }

struct ImportOptions {
  std::string path;
  std::string db_path;
  bool watch = false;
  int utc_offset_minutes = 0;
  std::string mode;  // "", "torsion", "bending"
  double poll_s = 1.0;
};

bool is_export_file(const fs::path& p) {
  const auto ext = p.extension().string();
  return ext == ".txt" || ext == ".json" || ext == ".TXT" || ext == ".JSON";
}

trios::ParseOptions parse_options(const ImportOptions& o) {
  trios::ParseOptions options;
  options.utc_offset_minutes = o.utc_offset_minutes;
  if (o.mode == "torsion") options.mode = rheometer::Mode::torsion;
  else if (o.mode == "bending") options.mode = rheometer::Mode::bending;
  else if (!o.mode.empty()) throw UsageError(fmt::format("--mode '{}' is neither torsion nor bending", o.mode));
  return options;
}

// Returns false when the file could not be imported (reported, not thrown: a watch goes on).
bool import_file(const fs::path& file, const ImportOptions& o, acquisition::RunStore& store, const Clock& clock) {
  try {
    const auto data = trios::read_export(file, parse_options(o));
    const auto imported = acquisition::dma::store_trios_export(data, store, clock, GLASSLAB_VERSION);
    fmt::print("{}: run {} ({} {}, {} points{})\n", file.string(), imported.run, data.format,
               rheometer::to_string(data.mode), imported.points,
               imported.warnings ? fmt::format(", {} warnings", imported.warnings) : "");
    for (const auto& w : data.warnings) fmt::print(stderr, "  warning: {}\n", w);
    return true;
  } catch (const ProtocolError& e) {
    fmt::print(stderr, "glasslab import: {}\n", e.what());
    return false;
  }
}

void run_import(const ImportOptions& o) {
  parse_options(o);  // reject a bad --mode before touching the store
  const fs::path path(o.path);
  if (!o.watch && !fs::exists(path)) throw UsageError(fmt::format("{}: no such file or folder", o.path));
  acquisition::RunStore store(o.db_path.empty() ? default_db_path() : o.db_path);
  ScaledSteadyClock clock(1.0);
  std::size_t failures = 0;
  if (!o.watch) {
    std::vector<fs::path> files;
    if (fs::is_directory(path)) {
      for (const auto& entry : fs::directory_iterator(path))
        if (entry.is_regular_file() && is_export_file(entry.path())) files.push_back(entry.path());
      std::sort(files.begin(), files.end());
    } else {
      files.push_back(path);
    }
    for (const auto& file : files) failures += import_file(file, o, store, clock) ? 0 : 1;
    store.flush();
    if (failures) throw ProtocolError(fmt::format("{} of {} files could not be imported", failures, files.size()));
    return;
  }
  // Watch: TRIOS writes exports into a folder; each new, complete file becomes a run.
  if (!fs::is_directory(path)) throw UsageError(fmt::format("--watch needs a folder, {} is not one", o.path));
  std::signal(SIGINT, on_import_stop_signal);
  std::signal(SIGTERM, on_import_stop_signal);
  acquisition::xrd::FolderWatcher watcher(path, {".txt", ".json"});
  watcher.poll(clock.mono_ns());  // files already there are an earlier session's
  fmt::print(stderr, "glasslab import: watching {} (Ctrl-C to stop)\n", path.string());
  while (!stop_watching) {
    for (const auto& arrived : watcher.poll(clock.mono_ns())) {
      if (!arrived.readable) {
        fmt::print(stderr, "glasslab import: {}: {}\n", arrived.path.string(), arrived.problem);
        continue;
      }
      import_file(arrived.path, o, store, clock);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int>(o.poll_s * 1000)));
  }
  store.flush();
}

}  // namespace

void add_import_commands(CLI::App& app) {
  auto* import = app.add_subcommand("import", "Bring data from other software into the run store");
  import->require_subcommand(1);
  auto options = std::make_shared<ImportOptions>();
  auto* cmd = import->add_subcommand("trios", "TRIOS exports (LIMS text or JSON) of the DHR-3 as DMA runs");
  cmd->add_option("PATH", options->path, "export file, or folder of exports")->required();
  cmd->add_flag("--watch", options->watch, "keep watching the folder and import each new file");
  cmd->add_option("--db", options->db_path, "run store (default: $GLASSLAB_DB or ~/.local/share/glasslab)");
  cmd->add_option("--utc-offset-minutes", options->utc_offset_minutes,
                  "offset of the TRIOS PC's clock from UTC, for local dates in the export")
      ->capture_default_str();
  cmd->add_option("--mode", options->mode, "torsion or bending, when the export does not say");
  cmd->add_option("--poll-s", options->poll_s, "watch: seconds between looks at the folder")->capture_default_str();
  cmd->callback([options] { run_import(*options); });
}

}  // namespace glasslab::app
