// glasslab run: validate a schedule, connect the instruments (or start simulators with --sim),
// execute, record everything, and leave every instrument safe on every exit path.
#include <csignal>
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "acquisition/engine/run_engine.hpp"
#include "acquisition/store/run_store.hpp"
#include "app/commands.hpp"
#include "app/progress_printer.hpp"
#include "app/sim_process.hpp"
#include "core/clock.hpp"
#include "drivers/linkam/device.hpp"
#include "drivers/transport/connection_string.hpp"
#include "drivers/transport/make_byte_transport.hpp"
#include "schedules/schedule.hpp"

namespace glasslab::app {

namespace {

std::atomic<bool> g_abort_requested{false};

void on_stop_signal(int) { g_abort_requested.store(true); }

/// Ctrl-C and SIGTERM ask the engine to stop at once and leave the stage safe; they never kill
/// the process mid-write.
void install_stop_signals() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

struct RunOptions {
  std::string schedule_path;
  bool simulate = false;
  double speed = 1.0;
  std::string db_path;
  double poll_hz = 0;  // 0: the schedule's
  std::string safe_state;
  std::string operator_name;
  bool quiet = false;
};

nlohmann::json sample_to_json(const schedules::Sample& s) {
  nlohmann::json j{{"name", s.name},
                   {"state", s.state},
                   {"composition", s.composition},
                   {"molar_mass_g_per_mol", s.molar_mass_g_per_mol},
                   {"notes", s.notes}};
  if (s.mass_mg) j["mass_mg"] = *s.mass_mg;
  return j;
}

linkam::StageEnvelope to_device_envelope(const schedules::StageEnvelope& e) {
  linkam::StageEnvelope d;
  d.min_K = e.min_K;
  d.max_K = e.max_K;
  d.min_rate_K_per_min = e.min_rate_K_per_min;
  d.max_rate_K_per_min = e.max_rate_K_per_min;
  return d;
}

acquisition::EngineSettings engine_settings(const schedules::StageConfig& stage, const RunOptions& options) {
  acquisition::EngineSettings s;
  s.poll_hz = options.poll_hz > 0 ? options.poll_hz : stage.poll_hz;
  s.safe_state = stage.safe_state == schedules::StageConfig::SafeState::hold ? linkam::SafeState::hold
                                                                            : linkam::SafeState::stop;
  if (options.safe_state == "hold") s.safe_state = linkam::SafeState::hold;
  if (options.safe_state == "stop") s.safe_state = linkam::SafeState::stop;
  s.tolerance_heating_K = stage.tolerance_heating_K;
  s.tolerance_cooling_K = stage.tolerance_cooling_K;
  s.settle_s = stage.settle_s;
  s.approach_rate_K_per_min = stage.approach_rate_K_per_min;
  return s;
}

int run_schedule(const RunOptions& options) {
  if (options.speed != 1.0 && !options.simulate)
    throw UsageError(fmt::format("--speed {} needs --sim: real instruments run in real time", options.speed));
  if (options.poll_hz < 0 || options.poll_hz > 10)
    throw UsageError(fmt::format("--poll-hz {}: the T95 is polled at 0.1 to 10 Hz", options.poll_hz));
  // Validate the whole schedule before anything is opened or moved.
  schedules::Schedule schedule = schedules::load_schedule_file(options.schedule_path);
  if (!schedule.instruments.stage)
    throw UsageError(fmt::format("{}: the schedule configures no stage ([instruments.stage])", schedule.path));
  schedules::StageConfig stage_config = *schedule.instruments.stage;

  ScaledSteadyClock clock(options.speed);
  std::unique_ptr<SimProcess> stage_sim;
  if (options.simulate) {
    stage_sim = std::make_unique<SimProcess>(
        std::vector<std::string>{"linkam", "--speed", fmt::format("{}", options.speed)}, std::chrono::seconds(10));
    // A pty has no modem-control lines: RTS/CTS is a property of the cable, not of the protocol.
    stage_config.connection = fmt::format("serial:{}?baud=19200&flow=none", stage_sim->address());
  }
  const auto settings = engine_settings(stage_config, options);

  acquisition::RunStore store(options.db_path);
  ProgressPrinter printer(stderr, options.quiet);
  OperatorTee recorder(store, printer);

  nlohmann::json configuration{
      {"stage",
       {{"connection", stage_config.connection},
        {"envelope",
         {{"min_K", stage_config.envelope.min_K},
          {"max_K", stage_config.envelope.max_K},
          {"min_rate_K_per_min", stage_config.envelope.min_rate_K_per_min},
          {"max_rate_K_per_min", stage_config.envelope.max_rate_K_per_min}}},
        {"poll_hz", settings.poll_hz},
        {"safe_state", settings.safe_state == linkam::SafeState::hold ? "hold" : "stop"},
        {"tolerance_heating_K", settings.tolerance_heating_K},
        {"tolerance_cooling_K", settings.tolerance_cooling_K},
        {"settle_s", settings.settle_s}}},
      {"simulated", options.simulate},
      {"speed", options.speed}};

  acquisition::RunStart start;
  start.schedule_path = std::filesystem::absolute(schedule.path).string();
  start.schedule_text = schedule.text;
  start.sample_json = sample_to_json(schedule.sample).dump();
  start.configuration_json = configuration.dump();
  start.operator_name = !options.operator_name.empty() ? options.operator_name : schedule.operator_name;
  start.software_version = std::string("glasslab ") + GLASSLAB_VERSION;
  start.start_mono_ns = clock.mono_ns();
  start.start_utc_ns = clock.utc_ns_at(start.start_mono_ns);
  const acquisition::RunId run_id = store.begin_run(start);
  fmt::print(stderr, "run {} started: {} ({} steps){}\n", run_id, schedule.title.empty() ? schedule.path : schedule.title,
             schedule.steps.size(), options.simulate ? fmt::format(", simulated at x{}", options.speed) : "");

  install_stop_signals();
  acquisition::RunStop stop;
  {
    linkam::DeviceOptions device_options;
    device_options.envelope = to_device_envelope(stage_config.envelope);
    acquisition::RunEngine* engine_ptr = nullptr;
    auto on_device_event = [&](const linkam::DeviceEvent& de) {
      acquisition::Event e;
      e.t_mono_ns = clock.mono_ns();
      e.t_utc_ns = clock.utc_ns_at(e.t_mono_ns);
      e.level = de.is_fault ? acquisition::EventLevel::warning : acquisition::EventLevel::info;
      e.source = "linkam";
      e.kind = de.kind;
      e.message = de.message;
      recorder.record(e);
      if (de.is_fault && engine_ptr) engine_ptr->note_device_fault();
    };
    try {
      auto transport = transport::make_byte_transport(transport::parse_connection_string(stage_config.connection));
      linkam::LinkamDevice stage(std::move(transport), device_options, on_device_event);
      acquisition::RunEngine engine(schedule, stage, recorder, clock, settings);
      engine_ptr = &engine;
      engine.set_progress_callback([&](const acquisition::RunProgress& p) { printer.on_progress(p); });
      stop = engine.execute(g_abort_requested);
      engine_ptr = nullptr;
    } catch (const std::exception& e) {
      stop.status = acquisition::ExitStatus::failed;
      stop.reason = e.what();
      stop.stop_mono_ns = clock.mono_ns();
      stop.stop_utc_ns = clock.utc_ns_at(stop.stop_mono_ns);
    }
  }
  printer.finish();
  store.end_run(run_id, stop);
  if (auto writer_error = store.writer_error())
    fmt::print(stderr, "store: {}\n", *writer_error);

  fmt::print(stderr, "run {} {}: {}\n", run_id, acquisition::to_string(stop.status), stop.reason);
  fmt::print("data: {} (run {}; `glasslab export {} --stream stage --format csv --db {}`)\n",
             std::filesystem::absolute(options.db_path).string(), run_id, run_id, options.db_path);
  fmt::print("{}\n", run_id);
  std::fflush(stdout);
  switch (stop.status) {
    case acquisition::ExitStatus::success: return 0;
    case acquisition::ExitStatus::aborted: return 3;
    default: return 1;
  }
}

}  // namespace

void add_run_commands(CLI::App& app) {
  auto options = std::make_shared<RunOptions>();
  options->db_path = default_db_path();
  auto* run = app.add_subcommand("run", "Run a schedule (validated in full before any instrument moves)");
  run->add_option("FILE", options->schedule_path, "schedule (TOML)")->required()->check(CLI::ExistingFile);
  run->add_flag("--sim", options->simulate, "start simulated instruments that speak the real protocols");
  run->add_option("--speed", options->speed, "experiment seconds per wall second (with --sim)")
      ->check(CLI::Range(0.001, 100000.0));
  run->add_option("--db", options->db_path, "SQLite run store")->capture_default_str();
  run->add_option("--poll-hz", options->poll_hz, "stage polling rate, 0.1..10 Hz (default: the schedule's)");
  run->add_option("--safe-state", options->safe_state, "stage state on exit: stop or hold (default: the schedule's)")
      ->check(CLI::IsMember({"stop", "hold"}));
  run->add_option("--operator", options->operator_name, "who runs it (default: the schedule's)");
  run->add_flag("--quiet", options->quiet, "no live progress line");
  run->callback([options] {
    const int code = run_schedule(*options);
    if (code != 0) throw CLI::RuntimeError(code);
  });
}

}  // namespace glasslab::app
