// Crash resilience: a child process records continuously and is killed with SIGKILL at a random
// moment; the file must pass integrity_check, every row the child saw committed must be there
// intact and gapless, and the run must be marked interrupted when the store is opened again.
#include <doctest/doctest.h>

#include <cerrno>
#include <cstdio>
#include <string>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "acquisition/store/run_reader.hpp"
#include "acquisition/store/run_store.hpp"
#include "store_test_support.hpp"

using namespace glasslab;
using namespace glasslab::acquisition;
using test::sql_text;

namespace {

// The child: record readings 0, 1, 2, ... forever; after each flush() report on the pipe how many
// are known committed. Never returns.
[[noreturn]] void record_until_killed(const std::string& path, int report_fd, bool close_run_cleanly) {
  try {
    StoreOptions options;
    options.batch_max_rows = 64;
    options.batch_max_age = std::chrono::milliseconds(5);
    RunStore store(path, options);
    const RunId run = store.begin_run(test::run_start());
    if (close_run_cleanly) {
      store.record(test::stage_reading(0));
      store.flush();
      ::_exit(0);  // exits without end_run: the process ends, the run is left 'running'
    }
    for (int i = 0;; ++i) {
      store.record(test::stage_reading(i));
      if (i % 3 == 0) store.record(Event{test::kMonoOrigin_ns + i, test::kUtcOrigin_ns + i, EventLevel::debug,
                                         "engine", "tick", std::to_string(i)});
      if (i % 200 == 199) {
        store.flush();
        const long long committed = i + 1;
        if (::write(report_fd, &committed, sizeof committed) != sizeof committed) ::_exit(3);
      }
      (void)run;
    }
  } catch (...) {
    ::_exit(2);
  }
}

long long read_report(int fd) {
  long long committed = -1;
  const auto n = ::read(fd, &committed, sizeof committed);
  return n == sizeof committed ? committed : -1;
}

}  // namespace

TEST_CASE("kill -9 while recording: file intact, committed rows intact, run marked interrupted") {
  test::TempDir dir;
  const auto path = dir.file("glasslab.sqlite");
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(fds[0]);
    record_until_killed(path, fds[1], false);
  }
  ::close(fds[1]);

  // Let the child commit a few thousand readings, then kill it mid-stream (it is recording and
  // committing continuously, so the kill lands inside or between transactions).
  long long committed = 0;
  while (committed < 3000) {
    const auto report = read_report(fds[0]);
    if (report < 0) break;  // child died on its own: the checks below then fail
    committed = report;
  }
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ::close(fds[0]);
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
  REQUIRE(committed >= 3000);

  CHECK(sql_text(path, "PRAGMA integrity_check") == "ok");
  CHECK(sql_text(path, "SELECT exit_status FROM runs") == "running");  // before anyone opens the store

  { RunStore reopened(path); }  // opening marks runs of dead writers interrupted
  RunReader reader(path);
  const auto runs = reader.list_runs();
  REQUIRE(runs.size() == 1);
  const auto& run = runs[0].run;
  CHECK(run.exit_status == "interrupted");
  CHECK(run.exit_reason.find(std::to_string(child)) != std::string::npos);

  const auto readings = reader.stage_readings(run.id);
  REQUIRE(readings.size() >= static_cast<std::size_t>(committed));
  bool intact = true;
  for (std::size_t i = 0; i < readings.size() && intact; ++i) {
    const auto want = test::stage_reading(static_cast<int>(i));
    intact = readings[i].step_index == want.step_index && readings[i].T_K == want.T_K &&
             readings[i].t_mono_ns == want.t_mono_ns && readings[i].status == want.status &&
             readings[i].pump_speed == want.pump_speed;
    if (!intact) FAIL("row " << i << " differs from what was recorded");
  }
  // The stop time is the last record's, not the time of the next open.
  REQUIRE(run.stop_mono_ns.has_value());
  CHECK(*run.stop_mono_ns >= readings.back().t_mono_ns);
  const auto events = reader.events(run.id);
  REQUIRE_FALSE(events.empty());
  CHECK(events.back().kind == "interrupted");
}

TEST_CASE("a run left open by a process that exited is interrupted on the next open, not running forever") {
  test::TempDir dir;
  const auto path = dir.file("glasslab.sqlite");
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) record_until_killed(path, -1, true);
  int status = 0;
  ::waitpid(child, &status, 0);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);

  CHECK(sql_text(path, "SELECT exit_status FROM runs") == "running");
  CHECK(RunStore::mark_interrupted_runs(path) == 1);
  CHECK(RunStore::mark_interrupted_runs(path) == 0);  // idempotent
  CHECK(sql_text(path, "SELECT exit_status FROM runs") == "interrupted");
  CHECK(sql_text(path, "SELECT stop_mono_ns FROM runs") == std::to_string(test::stage_reading(0).t_mono_ns));
}

TEST_CASE("a run of a live writer is not marked interrupted") {
  test::TempDir dir;
  const auto path = dir.file("glasslab.sqlite");
  RunStore store(path);
  const RunId run = store.begin_run(test::run_start());
  CHECK(RunStore::mark_interrupted_runs(path) == 0);
  { RunStore second(path); }
  RunReader reader(path);
  CHECK(reader.run(run).exit_status == "running");
}
