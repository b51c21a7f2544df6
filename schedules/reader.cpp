// TOML -> Schedule (docs/schedule-format.md). Structural problems are collected by TableReader;
// then validate() adds the semantic ones, and parse_schedule() throws one ScheduleError with all.
#include <algorithm>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "core/error.hpp"
#include "schedules/key_hints.hpp"
#include "schedules/table_reader.hpp"
#include "schedules/toml_guard.hpp"

namespace glasslab::schedules {
namespace {

using detail::Collector;
using detail::TableReader;

constexpr std::string_view kKinds[] = {"hold", "ramp", "dma_ramp", "dma_isothermal"};

/// Keys each step kind reads besides the common ones (kind, label, checkpoint, xrd); used to say
/// "a key of ramp steps" when a key sits in a step of another kind.
const std::vector<std::pair<std::string_view, std::vector<std::string_view>>>& keys_by_kind() {
  static const std::vector<std::pair<std::string_view, std::vector<std::string_view>>> table{
      {"hold", {"temperature_K", "duration_s", "approach_rate_K_per_min"}},
      {"ramp", {"to_K", "rate_K_per_min"}},
      {"dma_ramp", {"from_K", "to_K", "rate_K_per_min", "frequencies_Hz", "strain_pct", "mode", "delay_cycles",
                    "acquisition_cycles", "axial_force_N", "sample_label", "sample_state"}},
      {"dma_isothermal", {"temperatures_K", "frequencies_Hz", "strain_pct", "mode", "soak_s", "delay_cycles",
                          "acquisition_cycles", "axial_force_N", "sample_label", "sample_state"}},
  };
  return table;
}

std::string key_of_other_kinds(std::string_view key, std::string_view kind) {
  std::vector<std::string> owners;
  for (const auto& [other, keys] : keys_by_kind())
    if (other != kind && std::find(keys.begin(), keys.end(), key) != keys.end()) owners.emplace_back(other);
  if (owners.empty()) return {};
  return fmt::format("{} belongs to {} steps, not to {} steps", key, fmt::join(owners, "/"), kind);
}

template <typename T>
void assign(T& target, const std::optional<T>& value) {
  if (value) target = *value;
}

std::optional<DmaMode> read_mode(TableReader& reader, Collector& collector) {
  const auto text = reader.string("mode", true);
  if (!text) return std::nullopt;
  if (*text == "torsion") return DmaMode::torsion;
  if (*text == "bending") return DmaMode::bending;
  const std::string path = reader.path_of("mode");
  collector.unreadable.insert(path);
  collector.error(collector.locations[path], path,
                  "unknown DMA mode: expected \"torsion\" or \"bending\" (three-point bending)",
                  fmt::format("\"{}\"", *text));
  return std::nullopt;
}

/// Keys shared by dma_ramp and dma_isothermal; templated on the two step structs.
template <typename Dma>
void read_dma_common(TableReader& reader, Collector& collector, Dma& step) {
  assign(step.frequencies_Hz, reader.numbers("frequencies_Hz", true));
  assign(step.strain_pct, reader.number("strain_pct", true));
  if (auto mode = read_mode(reader, collector)) step.mode = *mode;
  assign(step.delay_cycles, reader.integer("delay_cycles", false));
  assign(step.acquisition_cycles, reader.integer("acquisition_cycles", false));
  step.axial_force_N = reader.number("axial_force_N", false);
  assign(step.sample_label, reader.string("sample_label", false));
  assign(step.sample_state, reader.string("sample_state", false));
}

std::optional<StepBody> read_step_body(std::string_view kind, TableReader& reader, Collector& collector) {
  if (kind == "hold") {
    HoldStep hold;
    assign(hold.temperature_K, reader.number("temperature_K", true));
    assign(hold.duration_s, reader.number("duration_s", true));
    hold.approach_rate_K_per_min = reader.number("approach_rate_K_per_min", false);
    return hold;
  }
  if (kind == "ramp") {
    RampStep ramp;
    assign(ramp.to_K, reader.number("to_K", true));
    assign(ramp.rate_K_per_min, reader.number("rate_K_per_min", true));
    return ramp;
  }
  if (kind == "dma_ramp") {
    DmaRampStep ramp;
    assign(ramp.from_K, reader.number("from_K", true));
    assign(ramp.to_K, reader.number("to_K", true));
    assign(ramp.rate_K_per_min, reader.number("rate_K_per_min", true));
    read_dma_common(reader, collector, ramp);
    return ramp;
  }
  if (kind == "dma_isothermal") {
    DmaIsothermalStep iso;
    assign(iso.temperatures_K, reader.numbers("temperatures_K", true));
    assign(iso.soak_s, reader.number("soak_s", false));
    read_dma_common(reader, collector, iso);
    return iso;
  }
  return std::nullopt;
}

std::optional<XrdAcquisition> read_xrd(TableReader& step_reader, Collector& collector) {
  const toml::table* table = step_reader.table("xrd", false);
  if (!table) return std::nullopt;
  TableReader reader(*table, step_reader.path_of("xrd"), collector);
  XrdAcquisition xrd;
  assign(xrd.period_s, reader.number("period_s", false));
  assign(xrd.exposure_s, reader.number("exposure_s", false));
  xrd.frame_count = reader.integer("frame_count", false);
  reader.finish();
  return xrd;
}

Step read_step(const toml::table& table, std::size_t index, Collector& collector) {
  const std::string prefix = step_path(index);
  TableReader reader(table, prefix, collector);
  Step step;
  step.where = reader.where();
  const auto kind = reader.string("kind", true);
  assign(step.label, reader.string("label", false));
  assign(step.checkpoint, reader.boolean("checkpoint", false));
  step.xrd = read_xrd(reader, collector);

  std::optional<StepBody> body;
  if (kind) body = read_step_body(*kind, reader, collector);
  if (!body) {
    // Unknown or missing kind: say so once and nothing more about this step.
    collector.unreadable_prefixes.insert(prefix);
    if (kind) {
      const std::vector<std::string> kinds(std::begin(kKinds), std::end(kKinds));
      std::string message = "unknown step kind: expected hold, ramp, dma_ramp or dma_isothermal";
      if (auto closest = closest_key(*kind, kinds); !closest.empty())
        message += fmt::format(", did you mean {}?", closest);
      collector.error(collector.locations[prefix + ".kind"], prefix + ".kind", message, fmt::format("\"{}\"", *kind));
    } else {
      reader.finish();  // reports the missing kind
    }
    step.body = HoldStep{};  // placeholder keeps step numbers aligned with the file
    return step;
  }
  step.body = std::move(*body);
  reader.finish([&](std::string_view key) { return key_of_other_kinds(key, *kind); });
  return step;
}

void read_envelope(TableReader& stage_reader, Collector& collector, StageEnvelope& envelope) {
  const toml::table* table = stage_reader.table("envelope", false);
  if (!table) return;
  TableReader reader(*table, stage_reader.path_of("envelope"), collector);
  assign(envelope.min_K, reader.number("min_K", false));
  assign(envelope.max_K, reader.number("max_K", false));
  assign(envelope.min_rate_K_per_min, reader.number("min_rate_K_per_min", false));
  assign(envelope.max_rate_K_per_min, reader.number("max_rate_K_per_min", false));
  reader.finish();
}

StageConfig read_stage(const toml::table& table, const std::string& path, Collector& collector) {
  TableReader reader(table, path, collector);
  StageConfig stage;
  assign(stage.connection, reader.string("connection", false));
  read_envelope(reader, collector, stage.envelope);
  assign(stage.poll_hz, reader.number("poll_Hz", false));
  if (auto safe = reader.string("safe_state", false)) {
    if (*safe == "stop") {
      stage.safe_state = StageConfig::SafeState::stop;
    } else if (*safe == "hold") {
      stage.safe_state = StageConfig::SafeState::hold;
    } else {
      const std::string key = reader.path_of("safe_state");
      collector.error(collector.locations[key], key,
                      "expected \"stop\" (stop heating and cooling) or \"hold\" (hold the current temperature)",
                      fmt::format("\"{}\"", *safe));
    }
  }
  assign(stage.tolerance_heating_K, reader.number("tolerance_heating_K", false));
  assign(stage.tolerance_cooling_K, reader.number("tolerance_cooling_K", false));
  assign(stage.settle_s, reader.number("settle_s", false));
  assign(stage.approach_rate_K_per_min, reader.number("approach_rate_K_per_min", false));
  assign(stage.watchdog_s, reader.number("watchdog_s", false));
  assign(stage.over_temperature_margin_K, reader.number("over_temperature_margin_K", false));
  assign(stage.rate_margin_K_per_min, reader.number("rate_margin_K_per_min", false));
  assign(stage.rate_window_s, reader.number("rate_window_s", false));
  if (auto policy = reader.string("on_cooling_rate_error", false)) {
    if (*policy == "warn" || *policy == "stop") {
      stage.on_cooling_rate_error =
          *policy == "stop" ? StageConfig::CoolingRatePolicy::stop : StageConfig::CoolingRatePolicy::warn;
    } else {
      const std::string key = reader.path_of("on_cooling_rate_error");
      collector.error(collector.locations[key], key,
                      "expected \"warn\" (record it, the step takes longer) or \"stop\" (stop the run, stage "
                      "to its safe state)",
                      fmt::format("\"{}\"", *policy));
    }
  }
  reader.finish();
  return stage;
}

RheometerConfig read_rheometer(const toml::table& table, const std::string& path, Collector& collector) {
  TableReader reader(table, path, collector);
  RheometerConfig rheometer;
  assign(rheometer.connection, reader.string("connection", false));
  assign(rheometer.approach_rate_K_per_min, reader.number("approach_rate_K_per_min", false));
  if (const toml::table* envelope = reader.table("envelope", false)) {
    TableReader env(*envelope, reader.path_of("envelope"), collector);
    assign(rheometer.envelope.min_K, env.number("min_K", false));
    assign(rheometer.envelope.max_K, env.number("max_K", false));
    assign(rheometer.envelope.max_rate_K_per_min, env.number("max_rate_K_per_min", false));
    env.finish();
  }
  reader.finish();
  return rheometer;
}

Instruments read_instruments(const toml::table& table, Collector& collector) {
  TableReader reader(table, "instruments", collector);
  Instruments instruments;
  if (const toml::table* stage = reader.table("stage", false))
    instruments.stage = read_stage(*stage, reader.path_of("stage"), collector);
  if (const toml::table* trigger = reader.table("trigger", false)) {
    TableReader sub(*trigger, reader.path_of("trigger"), collector);
    TriggerConfig config;
    assign(config.connection, sub.string("connection", false));
    assign(config.pulse_width_us, sub.number("pulse_width_us", false));
    sub.finish();
    instruments.trigger = config;
  }
  if (const toml::table* detector = reader.table("detector", false)) {
    TableReader sub(*detector, reader.path_of("detector"), collector);
    DetectorConfig config;
    assign(config.watch_dir, sub.string("watch_dir", true));
    assign(config.match_tolerance_s, sub.number("match_tolerance_s", false));
    sub.finish();
    instruments.detector = config;
  }
  if (const toml::table* rheometer = reader.table("rheometer", false))
    instruments.rheometer = read_rheometer(*rheometer, reader.path_of("rheometer"), collector);
  reader.finish();
  return instruments;
}

Sample read_sample(const toml::table& table, Collector& collector) {
  TableReader reader(table, "sample", collector);
  Sample sample;
  assign(sample.name, reader.string("name", true));
  assign(sample.state, reader.string("state", true));
  assign(sample.composition, reader.string("composition", false));
  assign(sample.molar_mass_g_per_mol, reader.number("molar_mass_g_per_mol", false));
  sample.mass_mg = reader.number("mass_mg", false);
  assign(sample.notes, reader.string("notes", false));
  reader.finish();
  return sample;
}

toml::table parse_toml(std::string_view text, const std::string& path) {
  detail::check_toml_characters(text, path);  // first: what toml++ 3.3.0 would misread
  try {
    return toml::parse(text, std::string_view(path));
  } catch (const toml::parse_error& e) {
    // A syntax error stops the reader: there is no table to check further.
    throw ScheduleError(fmt::format("{}:{}:{}: TOML syntax: {}", path, e.source().begin.line,
                                    e.source().begin.column, e.description()));
  }
}

/// Drops semantic diagnostics about values the reader already reported as unreadable.
std::vector<Diagnostic> without_repeats(std::vector<Diagnostic> semantic, const Collector& collector) {
  auto under = [](const std::string& key, const std::string& prefix) {
    return key == prefix || key.rfind(prefix + ".", 0) == 0;
  };
  std::erase_if(semantic, [&](const Diagnostic& d) {
    for (const auto& prefix : collector.unreadable)
      if (under(d.key, prefix)) return true;
    for (const auto& prefix : collector.unreadable_prefixes)
      if (under(d.key, prefix)) return true;
    return false;
  });
  return semantic;
}

void throw_if_errors(std::vector<Diagnostic> diagnostics) {
  if (has_errors(diagnostics)) {
    std::erase_if(diagnostics, [](const Diagnostic& d) { return d.severity != Severity::error; });
    throw ScheduleError(format_diagnostics(std::move(diagnostics)));
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ScheduleError(fmt::format("{}: cannot open the schedule file", path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

Schedule parse_schedule(std::string_view toml_text, const std::string& path) {
  const toml::table document = parse_toml(toml_text, path);
  Collector collector;
  collector.file = path;
  TableReader root(document, "", collector);

  Schedule schedule;
  schedule.path = path;
  schedule.text = std::string(toml_text);
  if (const toml::table* header = root.table("schedule", true)) {
    TableReader reader(*header, "schedule", collector);
    assign(schedule.title, reader.string("title", true));
    assign(schedule.operator_name, reader.string("operator", false));
    reader.finish();
  }
  if (const toml::table* sample = root.table("sample", true)) schedule.sample = read_sample(*sample, collector);
  if (const toml::table* instruments = root.table("instruments", false))
    schedule.instruments = read_instruments(*instruments, collector);
  if (const toml::array* steps = root.table_array("step", true)) {
    for (std::size_t i = 0; i < steps->size(); ++i)
      schedule.steps.push_back(read_step(*(*steps)[i].as_table(), i, collector));
  } else {
    collector.unreadable.insert("step");  // "no steps" would repeat "missing key"
  }
  root.finish();

  schedule.locations = collector.locations;
  std::vector<Diagnostic> all = std::move(collector.diagnostics);
  for (auto& d : without_repeats(validate(schedule), collector)) all.push_back(std::move(d));
  throw_if_errors(std::move(all));
  return schedule;
}

Schedule load_schedule_file(const std::string& path) { return parse_schedule(read_file(path), path); }

Sample parse_sample(std::string_view toml_text, const std::string& path) {
  const toml::table document = parse_toml(toml_text, path);
  Collector collector;
  collector.file = path;
  TableReader root(document, "", collector);
  Sample sample;
  if (const toml::table* table = root.table("sample", true)) sample = read_sample(*table, collector);
  root.finish();

  // The sample's own semantic checks are the schedule's, run on a schedule holding only it.
  Schedule holder;
  holder.path = path;
  holder.sample = sample;
  holder.locations = collector.locations;
  std::vector<Diagnostic> all = std::move(collector.diagnostics);
  for (auto& d : without_repeats(validate(holder), collector))
    if (d.key.rfind("sample", 0) == 0) all.push_back(std::move(d));
  throw_if_errors(std::move(all));
  return sample;
}

Sample load_sample_file(const std::string& path) { return parse_sample(read_file(path), path); }

}  // namespace glasslab::schedules
