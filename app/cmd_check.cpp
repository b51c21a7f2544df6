// glasslab check FILE: read and validate a schedule without touching any instrument, then print
// what it would do and how long it should take. Every problem is listed at once, each with the
// file, line, column and key, and the exit status is non-zero.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "app/commands.hpp"
#include "core/error.hpp"
#include "schedules/plan.hpp"
#include "schedules/schedule.hpp"
#include "schedules/validate.hpp"

namespace glasslab::app {
namespace {

struct CheckOptions {
  std::string schedule_path;
  std::string sample_path;
  std::string sample_state;
  double initial_K = 295.15;
};

/// "file.toml: 3 errors" followed by one line per error, as ScheduleError's message.
[[noreturn]] void rethrow_with_count(const ScheduleError& e, const std::string& path) {
  const std::string detail = e.what();
  const auto lines = 1 + std::count(detail.begin(), detail.end(), '\n');
  throw ScheduleError(fmt::format("{}: {} error{}\n{}", path, lines, lines == 1 ? "" : "s", detail));
}

void run_check(const CheckOptions& options) {
  schedules::Schedule schedule;
  try {
    schedule = schedules::load_schedule_file(options.schedule_path);
    if (!options.sample_path.empty()) schedules::apply_sample(schedule, schedules::load_sample_file(options.sample_path));
    if (!options.sample_state.empty()) schedules::override_sample_state(schedule, options.sample_state);
  } catch (const ScheduleError& e) {
    rethrow_with_count(e, options.schedule_path);
  }

  std::vector<schedules::Diagnostic> warnings = schedules::validate(schedule);
  if (!warnings.empty()) {
    std::fflush(stdout);
    fmt::print(stderr, "{}\n", schedules::format_diagnostics(warnings));
  }
  const schedules::Plan plan = schedules::make_plan(schedule, options.initial_K, options.initial_K);
  fmt::print("{}: OK{}\n\n", options.schedule_path,
             warnings.empty() ? "" : fmt::format(" ({} warning{})", warnings.size(), warnings.size() == 1 ? "" : "s"));
  fmt::print("{}", schedules::format_plan(plan));
}

}  // namespace

void add_check_command(CLI::App& app) {
  auto options = std::make_shared<CheckOptions>();
  CLI::App* check = app.add_subcommand(
      "check", "Validate a schedule (every error with file, line and key) and print its plan and total time");
  check->add_option("FILE", options->schedule_path, "Schedule file (TOML, see docs/schedule-format.md)")
      ->required()
      ->check(CLI::ExistingFile);
  check->add_option("--sample", options->sample_path,
                    "Replace the schedule's [sample] with this file's (e.g. schedules/paper/samples/as_cast.toml)")
      ->check(CLI::ExistingFile);
  check->add_option("--sample-state", options->sample_state,
                    "Replace only the sample state: as_cast, hpt_rt_stored_rt, hpt_ln2_stored_ln2, hpt_rt_stored_ln2");
  check->add_option("--initial-K", options->initial_K,
                    "Temperature the stage and the rheometer oven start from, for the plan (default 295.15)");
  check->callback([options] { run_check(*options); });
}

}  // namespace glasslab::app
