#include "acquisition/dma/trios_import.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace glasslab::acquisition::dma {

namespace {
constexpr std::int64_t ns_per_s = 1'000'000'000;
}

std::vector<DmaPoint> to_dma_points(const rheometer::trios::TriosExport& e, std::int64_t start_mono_ns,
                                    std::int64_t start_utc_ns) {
  std::vector<DmaPoint> points;
  points.reserve(e.points.size());
  std::int64_t index = 0;
  for (const auto& p : e.points) {
    DmaPoint d;
    std::int64_t offset_ns = 0;
    if (p.utc_ns) offset_ns = *p.utc_ns - start_utc_ns;
    else if (p.time_s) offset_ns = static_cast<std::int64_t>(*p.time_s * 1e9);
    d.t_utc_ns = start_utc_ns + offset_ns;
    d.t_mono_ns = start_mono_ns + offset_ns;
    d.instrument_index = ++index;  // row order in the export
    d.sweep = p.step.empty() ? e.procedure_name : p.step;
    d.T_K = p.T_K;
    d.frequency_Hz = p.frequency_Hz;
    d.storage_modulus_Pa = p.storage_Pa;
    d.loss_modulus_Pa = p.loss_Pa;
    d.tan_delta = p.tan_delta;
    d.strain_pct = p.strain_pct;
    d.force_N = p.force_N;
    d.torque_Nm = p.torque_Nm;
    d.mode = std::string(rheometer::to_string(p.mode));
    points.push_back(std::move(d));
  }
  return points;
}

RunStart run_start_for(const rheometer::trios::TriosExport& e, std::int64_t start_mono_ns, std::int64_t start_utc_ns,
                       const std::string& software_version) {
  RunStart start;
  start.schedule_path = e.source;
  start.schedule_text = "";  // an import has no schedule: the TRIOS procedure ran it
  start.sample_json = nlohmann::json{{"name", e.sample_name}}.dump();
  start.configuration_json = nlohmann::json{{"source", "trios"},
                                            {"format", e.format},
                                            {"file", e.source},
                                            {"procedure", e.procedure_name},
                                            {"instrument", e.instrument},
                                            {"mode", std::string(rheometer::to_string(e.mode))},
                                            {"mode_known", e.mode_known}}
                                 .dump();
  start.operator_name = "";
  start.software_version = software_version;
  start.start_mono_ns = start_mono_ns;
  start.start_utc_ns = start_utc_ns;
  return start;
}

ImportedRun store_trios_export(const rheometer::trios::TriosExport& e, RunStore& store, const Clock& clock,
                               const std::string& software_version) {
  const std::int64_t mono_ns = clock.mono_ns();
  const std::int64_t start_utc_ns = e.run_start_utc_ns.value_or(clock.utc_ns_at(mono_ns));
  ImportedRun imported;
  imported.run = store.begin_run(run_start_for(e, mono_ns, start_utc_ns, software_version));
  const auto points = to_dma_points(e, mono_ns, start_utc_ns);
  for (const auto& p : points) store.record(p);
  for (const auto& warning : e.warnings) {
    Event event;
    event.t_mono_ns = mono_ns;
    event.t_utc_ns = start_utc_ns;
    event.level = EventLevel::warning;
    event.source = "rheometer";
    event.kind = "import_warning";
    event.message = warning;
    store.record(event);
  }
  const std::int64_t last_offset_ns = points.empty() ? 0 : points.back().t_mono_ns - mono_ns;
  RunStop stop;
  stop.status = ExitStatus::success;
  stop.reason = fmt::format("imported {} points from {}", points.size(), e.source);
  stop.stop_mono_ns = mono_ns + std::max<std::int64_t>(last_offset_ns, 0);
  stop.stop_utc_ns = start_utc_ns + std::max<std::int64_t>(last_offset_ns, 0);
  store.end_run(imported.run, stop);
  imported.points = points.size();
  imported.warnings = e.warnings.size();
  return imported;
}

}  // namespace glasslab::acquisition::dma
