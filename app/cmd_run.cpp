// glasslab run: validate a schedule, connect the instruments (or start simulators with --sim),
// execute, record everything, and leave every instrument safe on every exit path.
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <thread>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "acquisition/control/control_bus.hpp"
#include "acquisition/control/control_token.hpp"
#include "acquisition/control/live_status.hpp"
#include "acquisition/control/run_control.hpp"
#include "acquisition/engine/run_engine.hpp"
#include "acquisition/resume/checkpoints.hpp"
#include "acquisition/store/run_store.hpp"
#include "app/commands.hpp"
#include "app/progress_printer.hpp"
#include "app/run_parts.hpp"
#include "app/sim_process.hpp"
#include "app/terminal_keys.hpp"
#include "dashboard/server/dashboard_server.hpp"
#include "core/clock.hpp"
#include "drivers/linkam/device.hpp"
#include "drivers/transport/connection_string.hpp"
#include "drivers/transport/make_byte_transport.hpp"
#include "schedules/schedule.hpp"

namespace glasslab::app {

namespace {

std::atomic<bool> g_abort_requested{false};

/// How long `run --serve` keeps serving after the run has ended (`glasslab serve` keeps browsing).
constexpr auto kDashboardLinger = std::chrono::seconds(2);

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
  s.safety = acquisition::safety::limits_from(stage);
  return s;
}

/// Engine work area for a dry run: simulators write their truth log and frames here, beside the db.
std::string make_work_dir(const RunOptions& options) {
  const auto db_dir = std::filesystem::absolute(options.db_path).parent_path();
  std::string pattern = (db_dir / "glasslab-run-XXXXXX").string();
  std::filesystem::create_directories(db_dir);
  if (!mkdtemp(pattern.data())) throw UsageError(fmt::format("cannot create a work folder beside {}", options.db_path));
  return pattern;
}

/// The stage: its simulator with --sim, its connection, and the engine settings.
struct StagePart {
  schedules::StageConfig config;
  acquisition::EngineSettings settings;
  std::unique_ptr<SimProcess> simulator;
  std::string truth_log;

  nlohmann::json configuration() const {
    return {{"connection", config.connection},
            {"envelope",
             {{"min_K", config.envelope.min_K},
              {"max_K", config.envelope.max_K},
              {"min_rate_K_per_min", config.envelope.min_rate_K_per_min},
              {"max_rate_K_per_min", config.envelope.max_rate_K_per_min}}},
            {"poll_hz", settings.poll_hz},
            {"safe_state", settings.safe_state == linkam::SafeState::hold ? "hold" : "stop"},
            {"tolerance_heating_K", settings.tolerance_heating_K},
            {"tolerance_cooling_K", settings.tolerance_cooling_K},
            {"settle_s", settings.settle_s},
            {"interlocks",
             {{"watchdog_s", settings.safety.watchdog_s},
              {"over_temperature_margin_K", settings.safety.over_temperature_margin_K},
              {"rate_margin_K_per_min", settings.safety.rate_margin_K_per_min},
              {"rate_window_s", settings.safety.rate_window_s},
              {"on_cooling_rate_error", std::string(to_string(settings.safety.on_cooling_rate_error))}}}};
  }
};

std::unique_ptr<StagePart> prepare_stage(const schedules::Schedule& schedule, const RunOptions& options,
                                         std::int64_t clock_origin_ns, const std::string& work_dir, bool want_truth) {
  bool uses_stage = false;
  for (const auto& step : schedule.steps) uses_stage = uses_stage || step.uses_stage();
  if (!uses_stage) return nullptr;
  if (!schedule.instruments.stage)
    throw UsageError(fmt::format("{}: the schedule configures no stage ([instruments.stage])", schedule.path));
  auto part = std::make_unique<StagePart>();
  part->config = *schedule.instruments.stage;
  part->settings = engine_settings(part->config, options);
  if (options.simulate) {
    std::vector<std::string> args{"linkam", "--speed", fmt::format("{}", options.speed), "--clock-origin-ns",
                                  std::to_string(clock_origin_ns)};
    if (want_truth) {
      part->truth_log = work_dir + "/stage_truth.csv";
      args.insert(args.end(), {"--truth-log", part->truth_log, "--truth-interval", "1"});
    }
    // A resumed dry run: the simulator restarts, and its stage starts where the run's last
    // reading was (a real stage would have kept its program; see docs/reliability.md).
    if (options.resume && options.resume->stage_start_K)
      args.insert(args.end(), {"--initial-K", fmt::format("{:.2f}", *options.resume->stage_start_K)});
    args.insert(args.end(), options.stage_sim_args.begin(), options.stage_sim_args.end());
    part->simulator = std::make_unique<SimProcess>(args, std::chrono::seconds(10));
    // A pty has no modem-control lines: RTS/CTS is a property of the cable, not of the protocol.
    part->config.connection = fmt::format("serial:{}?baud=19200&flow=none", part->simulator->address());
  }
  return part;
}

acquisition::RunStop run_stage(const schedules::Schedule& schedule, StagePart& stage, XrdPart* xrd,
                               RunContext& context) {
  acquisition::RunStop stop;
  linkam::DeviceOptions device_options;
  device_options.envelope = to_device_envelope(stage.config.envelope);
  std::atomic<acquisition::RunEngine*> engine_ptr{nullptr};
  const Clock& clock = context.clock;
  auto on_device_event = [&](const linkam::DeviceEvent& de) {
    acquisition::record_event(context.recorder, clock,
                              de.is_fault ? acquisition::EventLevel::warning : acquisition::EventLevel::info,
                              "linkam", de.kind, de.message);
    if (auto* engine = engine_ptr.load(); de.is_fault && engine) engine->note_device_fault();
  };
  try {
    auto transport = transport::make_byte_transport(transport::parse_connection_string(stage.config.connection));
    linkam::LinkamDevice device(std::move(transport), device_options, on_device_event);
    acquisition::RunEngine engine(schedule, device, context.recorder, clock, stage.settings);
    engine_ptr = &engine;
    if (xrd) engine.add_attachment(xrd->attach(context));
    engine.set_progress_callback([&](const acquisition::RunProgress& p) { context.status.on_progress(p); });
    if (context.options.resume) engine.set_first_step(context.options.resume->plan.start_step);
    if (auto* checkpoints = context.checkpoints)
      engine.set_step_callback([checkpoints](int step, bool finished) {
        finished ? checkpoints->step_finished(step) : checkpoints->step_started(step);
      });
    stop = engine.execute(context.control);
    engine_ptr = nullptr;
  } catch (const std::exception& e) {
    stop.status = acquisition::ExitStatus::failed;
    stop.reason = e.what();
    stop.stop_mono_ns = clock.mono_ns();
    stop.stop_utc_ns = clock.utc_ns_at(stop.stop_mono_ns);
  }
  return stop;
}

dashboard::ServerOptions dashboard_options(const RunOptions& options) {
  dashboard::ServerOptions o;
  o.db_path = options.db_path;
  o.bind_address = options.bind_address;
  o.port = static_cast<unsigned short>(options.port);
  o.allow_remote = options.allow_remote;
  return o;
}

/// The run's end of the control bus (docs/dashboard.md). Nothing has moved yet when it cannot be
/// opened: the run is closed as failed with the reason, and the error goes on to the operator.
std::unique_ptr<acquisition::control::ControlBus> open_control_bus(acquisition::RunStore& store, acquisition::RunId run_id,
                                                                   const std::string& token,
                                                                   acquisition::control::RunControl& run_control,
                                                                   const acquisition::control::LiveStatusBoard& board,
                                                                   const Clock& clock) {
  namespace control = acquisition::control;
  try {
    return std::make_unique<control::ControlBus>(store.path(), run_id, control::token_sha256_hex(token), run_control,
                                                 [&board] { return control::to_json(board.snapshot()).dump(); });
  } catch (const std::exception& e) {
    store.end_run(run_id, acquisition::RunStop{acquisition::ExitStatus::failed,
                                               fmt::format("no control channel: {}", e.what()), clock.mono_ns(),
                                               clock.utc_ns()});
    throw;
  }
}

/// A run whose records can no longer be written (SQLITE_FULL: a full disk or the --db-max-bytes
/// cap; an I/O error) must not go on measuring into nothing: the writer's error stops it at the
/// next safe point as an abort would, so every instrument is left safe, and the run ends failed
/// with the store's reason. What was committed before stays (docs/reliability.md, "Fault table").
void stop_when_the_store_fails(acquisition::RunStore& store, acquisition::control::RunControl& run_control) {
  store.set_on_writer_error([&run_control](const std::string&) {
    run_control.request(acquisition::control::ControlAction::abort, acquisition::control::ControlOrigin{"store", ""});
  });
}

std::string store_failure_reason(const std::string& writer_error) {
  return fmt::format("run store failed: {}; the run was stopped and the instruments left safe; the records committed "
                     "before the failure are kept, later ones were not written",
                     writer_error);
}

/// The token and how to use it, and the dashboard's address, once the run row exists.
void announce_control(const RunOptions& options, acquisition::RunId run_id, const std::string& token,
                      const dashboard::DashboardServer* server) {
  fmt::print(stderr, "control token: {}\n", token);
  fmt::print(stderr, "  pause, resume or abort from another terminal: glasslab ctl {} pause --token {} --db {}\n", run_id,
             token, options.db_path);
  if (server)
    fmt::print(stderr, "dashboard: {}#run={} (reading is open; pause/resume/abort need the token)\n", server->url(),
               run_id);
}

/// The run row: a new one, or the stored run reopened by `glasslab resume` (with its events).
acquisition::RunId open_run(acquisition::RunStore& store, acquisition::Recorder& recorder, const Clock& clock,
                            const acquisition::RunStart& start, const RunOptions& options,
                            const nlohmann::json& configuration) {
  if (!options.resume) return store.begin_run(start);
  const auto& resume = *options.resume;
  store.resume_run(resume.run_id);
  const auto event = [&](acquisition::EventLevel level, const std::string& kind, const std::string& message) {
    acquisition::record_event(recorder, clock, level, "operator", kind, message);
  };
  event(acquisition::EventLevel::info, "resume",
        fmt::format("resumed by {} (pid {}): {}{}", start.software_version, getpid(), resume.plan.summary,
                    resume.stage_start_K
                        ? fmt::format("; the simulated stage restarts at {:.2f} K, the last reading", *resume.stage_start_K)
                        : ""));
  if (resume.plan.forced) event(acquisition::EventLevel::warning, "resume_forced", resume.plan.forced_warning);
  event(acquisition::EventLevel::info, "configuration", "resumed with " + configuration.dump());
  return resume.run_id;
}

int run_schedule(const RunOptions& options) {
  // Validate the whole schedule before anything is opened or moved.
  schedules::Schedule schedule = schedules::load_schedule_file(options.schedule_path);
  if (!options.sample_state.empty()) schedules::override_sample_state(schedule, options.sample_state);
  return execute_run(schedule, options);
}

}  // namespace

int execute_run(const schedules::Schedule& schedule, const RunOptions& options) {
  if (options.speed != 1.0 && !options.simulate)
    throw UsageError(fmt::format("--speed {} needs --sim: real instruments run in real time", options.speed));
  if (options.poll_hz < 0 || options.poll_hz > 10)
    throw UsageError(fmt::format("--poll-hz {}: the T95 is polled at 0.1 to 10 Hz", options.poll_hz));
  bool uses_stage = false, uses_rheometer = false;
  for (const auto& step : schedule.steps) {
    uses_stage = uses_stage || step.uses_stage();
    uses_rheometer = uses_rheometer || step.uses_rheometer();
  }
  if (uses_stage && uses_rheometer)
    throw UsageError(fmt::format("{}: a run drives either the Linkam stage (with X-ray frames) or the rheometer; "
                                 "split stage and DMA steps into two schedules", schedule.path));

  // One experiment clock for this process and every simulator it starts. A resumed run's clock
  // goes on after the run's last record (a dry run's experiment time runs ahead of the host's).
  const ScaledSteadyClock clock =
      options.resume ? ScaledSteadyClock(options.speed,
                                         acquisition::resume::resumed_clock_origin_ns(
                                             options.speed, ScaledSteadyClock(1.0).steady_origin_ns(),
                                             options.resume->last_mono_ns))
                     : ScaledSteadyClock(options.speed);
  const std::int64_t clock_origin_ns = clock.steady_origin_ns();
  std::string work_dir;
  bool wants_frames = false;
  for (const auto& step : schedule.steps) wants_frames = wants_frames || step.xrd.has_value();
  if (options.simulate) work_dir = make_work_dir(options);

  auto stage = prepare_stage(schedule, options, clock_origin_ns, work_dir, wants_frames && options.simulate);
  auto xrd = XrdPart::prepare(schedule, options, clock, clock_origin_ns, work_dir, stage ? stage->truth_log : "");
  auto dma = DmaPart::prepare(schedule, options, clock, clock_origin_ns);

  acquisition::StoreOptions store_options;
  store_options.max_size_bytes = options.db_max_bytes;
  acquisition::RunStore store(options.db_path, store_options);
  // The dashboard binds before the run row exists: an address in use refuses the run, not a
  // started experiment.
  std::unique_ptr<dashboard::DashboardServer> server;
  if (options.serve) {
    server = std::make_unique<dashboard::DashboardServer>(dashboard_options(options));
    if (auto warning = server->exposure_warning()) fmt::print(stderr, "warning: {}\n", *warning);
  }
  namespace control = acquisition::control;
  control::LiveStatusBoard board(clock);
  if (options.resume) board.count_earlier_records(options.resume->recorded);
  ProgressPrinter printer(stderr, board, options.quiet);
  OperatorTee recorder(store, board, printer);
  control::RunControl run_control(recorder, clock, &g_abort_requested);
  board.set_control(&run_control);
  stop_when_the_store_fails(store, run_control);
  // Until the DMA part has read the oven's temperature (run_dma.cpp): from room temperature.
  if (dma && !stage)
    board.set_plan(schedules::make_plan(schedule, schedules::kRoomTemperature_K, schedules::kRoomTemperature_K,
                                        options.resume ? static_cast<std::size_t>(options.resume->plan.start_step) : 0));

  nlohmann::json configuration{{"simulated", options.simulate},
                               {"speed", options.speed},
                               // experiment UTC = origin + (wall UTC - origin) x speed: lets a reader
                               // (the dashboard's latency figure) map record times back to wall time
                               {"clock_utc_origin_ns", clock.utc_ns_at(clock_origin_ns)}};
  if (stage) configuration["stage"] = stage->configuration();
  if (xrd) configuration["xrd"] = xrd->configuration();
  if (dma) configuration["rheometer"] = dma->configuration();
  if (!work_dir.empty()) configuration["work_dir"] = work_dir;

  acquisition::RunStart start;
  start.schedule_path = std::filesystem::absolute(schedule.path).string();
  start.schedule_text = schedule.text;
  start.sample_json = sample_to_json(schedule.sample).dump();
  start.configuration_json = configuration.dump();
  start.operator_name = !options.operator_name.empty() ? options.operator_name : schedule.operator_name;
  start.software_version = std::string("glasslab ") + GLASSLAB_VERSION;
  start.start_mono_ns = clock.mono_ns();
  start.start_utc_ns = clock.utc_ns_at(start.start_mono_ns);
  const acquisition::RunId run_id = open_run(store, recorder, clock, start, options, configuration);
  fmt::print(stderr, "run {} {}: {} ({} steps){}\n", run_id, options.resume ? "resumed" : "started",
             schedule.title.empty() ? schedule.path : schedule.title, schedule.steps.size(),
             options.simulate ? fmt::format(", simulated at x{}", options.speed) : "");
  if (options.resume) fmt::print(stderr, "{}\n", options.resume->plan.summary);

  // Step boundaries become the run's checkpoint record (docs/reliability.md, "Crash and resume").
  acquisition::resume::CheckpointState checkpoint_state;
  if (options.resume) {
    checkpoint_state = options.resume->plan.state;
    ++checkpoint_state.resumes;
  }
  acquisition::resume::CheckpointTracker checkpoints(
      schedule, checkpoint_state, [&store, run_id](const std::string& json) { store.save_checkpoint(run_id, json); });
  checkpoints.save_now();

  install_stop_signals();
  const std::string token = control::make_control_token();
  auto bus = open_control_bus(store, run_id, token, run_control, board, clock);
  if (server) server->start();
  announce_control(options, run_id, token, server.get());
  auto keys = !options.no_keys ? std::make_unique<TerminalKeys>(run_control, printer) : nullptr;
  if (keys && keys->active()) printer.set_key_hint(TerminalKeys::kHint);
  printer.start();

  RunContext context{options, clock, clock_origin_ns, store, recorder, run_id, work_dir, run_control, board, &checkpoints};
  acquisition::RunStop stop;
  if (stage) stop = run_stage(schedule, *stage, xrd.get(), context);
  else if (dma) stop = dma->execute(context);
  keys.reset();  // the terminal back to normal before the last lines
  printer.finish();
  bus->close();  // from here on every control request is refused: the run has ended
  if (auto writer_error = store.writer_error()) {
    stop.status = acquisition::ExitStatus::failed;
    stop.reason = store_failure_reason(*writer_error);
    fmt::print(stderr, "store: {}\n", *writer_error);
  }
  store.end_run(run_id, stop);

  if (xrd) fmt::print(stderr, "{}\n", xrd->summary());
  if (dma) fmt::print(stderr, "{}\n", dma->summary());
  fmt::print(stderr, "run {} {}: {}\n", run_id, acquisition::to_string(stop.status), stop.reason);
  fmt::print("data: {} (run {}; `glasslab export {} --stream {} --format csv --db {}`)\n",
             std::filesystem::absolute(options.db_path).string(), run_id, run_id, stage ? "stage" : "dma",
             options.db_path);
  if (!work_dir.empty()) fmt::print("simulator files: {}\n", work_dir);
  fmt::print("{}\n", run_id);
  std::fflush(stdout);
  if (server) {
    // Open pages see the run's end (their next poll) before the dashboard goes away with this process.
    std::this_thread::sleep_for(kDashboardLinger);
    server->stop();
  }
  switch (stop.status) {
    case acquisition::ExitStatus::success: return 0;
    case acquisition::ExitStatus::aborted: return 3;
    default: return 1;
  }
}

void add_run_commands(CLI::App& app) {
  auto options = std::make_shared<RunOptions>();
  options->db_path = default_db_path();
  auto* run = app.add_subcommand("run", "Run a schedule (validated in full before any instrument moves)");
  run->add_option("FILE", options->schedule_path, "schedule (TOML)")->required()->check(CLI::ExistingFile);
  run->add_flag("--sim", options->simulate, "start simulated instruments that speak the real protocols");
  run->add_option("--speed", options->speed, "experiment seconds per wall second (with --sim)")
      ->check(CLI::Range(0.001, 100000.0));
  run->add_option("--db", options->db_path, "SQLite run store")->capture_default_str();
  run->add_option("--db-max-bytes", options->db_max_bytes,
                  "cap the run store's file size (a disk quota); a write beyond it fails as on a full disk and stops "
                  "the run safely")
      ->check(CLI::NonNegativeNumber);
  run->add_option("--poll-hz", options->poll_hz, "stage polling rate, 0.1..10 Hz (default: the schedule's)");
  run->add_option("--safe-state", options->safe_state, "stage state on exit: stop or hold (default: the schedule's)")
      ->check(CLI::IsMember({"stop", "hold"}));
  run->add_option("--operator", options->operator_name, "who runs it (default: the schedule's)");
  run->add_flag("--quiet", options->quiet, "no live status panel or progress lines");
  run->add_flag("--no-keys", options->no_keys, "no control keys (p, r, a) even when stdin is a terminal");
  run->add_flag("--serve", options->serve, "serve the dashboard for this run (docs/dashboard.md)");
  add_dashboard_options(*run, options->port, options->bind_address, options->allow_remote);
  run->add_option("--sample-state", options->sample_state,
                  "override the sample state: as_cast, hpt_rt_stored_rt, hpt_ln2_stored_ln2, hpt_rt_stored_ln2");
  run->add_option("--stage-sim-arg", options->stage_sim_args,
                  "extra argument for the simulated T95 (with --sim), e.g. --stage-sim-arg=--fault=drop:5@60");
  run->add_option("--rheometer-sim-arg", options->rheometer_sim_args,
                  "extra argument for the simulated DHR-3 (with --sim), e.g. \"--rheometer-sim-arg=--fault=error-at 40\"");
  run->callback([options] {
    const int code = run_schedule(*options);
    if (code != 0) throw CLI::RuntimeError(code);
  });
  add_resume_command(app);
}

}  // namespace glasslab::app
