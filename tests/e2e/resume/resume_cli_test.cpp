// `glasslab resume` end to end on dry runs: a real `glasslab run --sim` killed with SIGKILL at a
// chosen point (watched through the database, as an outside reader), then resumed by a second
// process that starts the simulators again.
#include <doctest/doctest.h>
#include <signal.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <fstream>

#include <fmt/format.h>

#include "store_watch.hpp"
#include "tests/support/process.hpp"
#include "tests/support/sqlite_db.hpp"

using glasslab::test::Db;
using glasslab::test::last_line;
using glasslab::test::ProcessResult;
using glasslab::test::run_process;
using glasslab::test::StoreWatch;
using glasslab::test::TempDir;

namespace {

const std::string kFixtures = std::string(GLASSLAB_SOURCE_DIR) + "/tests/e2e/resume/fixtures/";

/// Runs `glasslab run FILE --sim` and kills it with SIGKILL once `kill_when` (SQL) holds.
void run_and_kill_when(const std::string& schedule, const std::string& speed, const std::string& db_path,
                       const std::string& kill_when) {
  StoreWatch watch(db_path);
  bool condition_met = false;
  const auto result = run_process({GLASSLAB_BINARY, "run", kFixtures + schedule, "--sim", "--speed", speed, "--db",
                                   db_path, "--quiet"},
                                  std::chrono::seconds(60), [&](int pid) {
                                    condition_met = watch.wait_for(kill_when, std::chrono::seconds(30));
                                    kill(pid, SIGKILL);
                                  });
  INFO("stderr: " << result.err);
  REQUIRE(condition_met);
  REQUIRE(result.exit_code == 128 + SIGKILL);
}

ProcessResult resume(const std::string& db_path, std::vector<std::string> extra = {}) {
  std::vector<std::string> argv{GLASSLAB_BINARY, "resume", "1", "--db", db_path, "--quiet"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return run_process(argv, std::chrono::seconds(60));
}

int count(Db& db, const std::string& where) { return std::stoi(db.scalar("SELECT count(*) FROM " + where)); }

}  // namespace

TEST_CASE("killed in the checkpoint hold, resume --sim restarts that hold and completes the run") {
  TempDir tmp;
  const std::string db_path = tmp.path + "/runs.sqlite";
  // Killed 20 s into the 290 K hold, with the stage there.
  run_and_kill_when("resume_profile.toml", "100", db_path,
                    "SELECT count(*) >= 40 FROM stage_readings WHERE step_index = 0 AND T_K < 290.6");
  Db before(db_path);
  const long long readings_before = std::stoll(before.scalar("SELECT count(*) FROM stage_readings"));
  const double last_K_before = std::stod(before.scalar("SELECT T_K FROM stage_readings ORDER BY rowid DESC LIMIT 1"));

  const auto resumed = resume(db_path, {"--sim"});
  INFO("stderr: " << resumed.err);
  REQUIRE(resumed.exit_code == 0);
  CHECK(last_line(resumed.out) == "1");
  CHECK(resumed.err.find("run 1 resumed") != std::string::npos);

  Db db(db_path);
  CHECK(db.scalar("SELECT exit_status FROM runs WHERE id = 1") == "success");
  CHECK(db.scalar("PRAGMA integrity_check") == "ok");
  // What happened is on record: interrupted, resumed at step 1, every step then ran once.
  CHECK(count(db, "events WHERE kind = 'interrupted'") == 1);
  CHECK(db.scalar("SELECT message FROM events WHERE kind = 'resume'").find("restarts at step 1/4 hold 290.00 K") !=
        std::string::npos);
  CHECK(count(db, "events WHERE kind = 'step_start'") == 1 + 4);
  CHECK(count(db, "events WHERE kind = 'step_end'") == 4);
  CHECK(count(db, "events WHERE kind = 'resume_forced'") == 0);
  // The readings before the kill are kept; the resumed ones follow them in time.
  CHECK(count(db, "stage_readings") > readings_before + 300);
  CHECK(db.scalar("SELECT count(*) FROM (SELECT t_mono_ns - lag(t_mono_ns) OVER (ORDER BY rowid) AS d "
                  "FROM stage_readings) WHERE d <= 0") == "0");
  CHECK(db.scalar("SELECT count(*) FROM (SELECT t_utc_ns - lag(t_utc_ns) OVER (ORDER BY rowid) AS d "
                  "FROM stage_readings) WHERE d <= 0") == "0");
  // The restarted simulator's stage started where the run's last reading was, not at 295.15 K.
  const double first_K_after = std::stod(
      db.scalar(fmt::format("SELECT T_K FROM stage_readings WHERE rowid > {} ORDER BY rowid LIMIT 1", readings_before)));
  CHECK(std::abs(first_K_after - last_K_before) < 1.0);
  CHECK(db.scalar("SELECT json_extract(checkpoint_json, '$.resumes') FROM runs") == "1");

  // Nothing left to resume now; and a dry run is resumed with --sim only.
  const auto again = resume(db_path, {"--sim"});
  CHECK(again.exit_code == 2);
  CHECK(again.err.find("run 1 completed successfully") != std::string::npos);
  const auto real = resume(db_path);
  CHECK(real.exit_code == 2);
  CHECK(real.err.find("resume it with --sim") != std::string::npos);
}

TEST_CASE("killed inside a ramp, resume refuses naming the run, the step and why; --force resumes at the checkpoint") {
  TempDir tmp;
  const std::string db_path = tmp.path + "/runs.sqlite";
  run_and_kill_when("resume_profile.toml", "100", db_path, "SELECT count(*) >= 10 FROM stage_readings WHERE step_index = 1");

  const auto refused = resume(db_path, {"--sim"});
  CHECK(refused.exit_code == 2);
  CHECK(refused.err.find("run 1 (interrupted) stopped inside step 2/4 ramp to 310.00 K at 20 K/min (\"heat\")") !=
        std::string::npos);
  CHECK(refused.err.find("the sample has aged") != std::string::npos);
  CHECK(refused.err.find("--force") != std::string::npos);
  {
    Db db(db_path);  // a refusal changes nothing
    CHECK(db.scalar("SELECT exit_status FROM runs WHERE id = 1") == "interrupted");
    CHECK(count(db, "events WHERE kind = 'resume'") == 0);
  }

  const auto forced = resume(db_path, {"--sim", "--force"});
  INFO("stderr: " << forced.err);
  REQUIRE(forced.exit_code == 0);
  Db db(db_path);
  CHECK(db.scalar("SELECT exit_status FROM runs WHERE id = 1") == "success");
  CHECK(count(db, "events WHERE kind = 'resume_forced' AND level = 'warning'") == 1);
  CHECK(db.scalar("SELECT message FROM events WHERE kind = 'resume_forced'").find("step 2/4 ramp") != std::string::npos);
  // Restarted at the checkpoint (step 1): steps 1 and 2 started twice, 3 and 4 once.
  CHECK(count(db, "events WHERE kind = 'step_start'") == 2 + 4);
  CHECK(db.scalar("SELECT count(*) FROM (SELECT t_mono_ns - lag(t_mono_ns) OVER (ORDER BY rowid) AS d "
                  "FROM stage_readings) WHERE d <= 0") == "0");
}

TEST_CASE("a DMA queue killed inside its second item resumes there; item 1 is not measured again") {
  TempDir tmp;
  const std::string db_path = tmp.path + "/runs.sqlite";
  // x100: points reach the file in batches of up to 200 ms (20 s of experiment time here), and
  // item 2 lasts about 110 s, so the kill lands inside it.
  run_and_kill_when("dma_queue.toml", "100", db_path, "SELECT count(*) >= 2 FROM dma_points WHERE step_index = 1");
  long long last_mono_before = 0;
  {
    Db db(db_path);
    last_mono_before = std::stoll(db.scalar("SELECT max(t_mono_ns) FROM dma_points"));
  }

  const auto resumed = resume(db_path, {"--sim"});
  INFO("stderr: " << resumed.err);
  REQUIRE(resumed.exit_code == 0);
  Db db(db_path);
  CHECK(db.scalar("SELECT exit_status FROM runs WHERE id = 1") == "success");
  CHECK(db.scalar("SELECT message FROM events WHERE kind = 'resume'").find("restarts at step 2/3") != std::string::npos);
  // Each process planned its time left from the oven it found: the resumed one from step 2, with
  // the new simulated oven at room temperature (not where item 1 left it, 260 K).
  const auto plans = db.rows("SELECT message FROM events WHERE kind = 'plan' AND source = 'rheometer' ORDER BY id");
  REQUIRE(plans.size() == 2);
  CHECK(plans[0][0].find("from step 1 with the oven at 29") != std::string::npos);
  CHECK(plans[1][0].find("from step 2 with the oven at 29") != std::string::npos);
  // Item 1 measured once; item 2's first attempt kept apart from its repeat; item 3 once.
  CHECK(count(db, "(SELECT DISTINCT sweep FROM dma_points WHERE step_index = 0)") == 1);
  CHECK(count(db, "(SELECT DISTINCT sweep FROM dma_points WHERE step_index = 1)") == 2);
  CHECK(count(db, "dma_points WHERE step_index = 1 AND sweep LIKE '% (resume 1)'") == 6);  // 3 temperatures x 2 frequencies
  CHECK(count(db, "dma_points WHERE step_index = 2") == 4);
  // The resumed points come after the first attempt's on the run's time axis.
  CHECK(std::stoll(db.scalar("SELECT min(t_mono_ns) FROM dma_points WHERE sweep LIKE '% (resume 1)'")) > last_mono_before);
  CHECK(db.scalar("SELECT json_extract(checkpoint_json, '$.last_step_finished') FROM runs") == "1");
}

TEST_CASE("X-ray frames across a resume number on after the first attempt's, which stay as they were") {
  TempDir tmp;
  const std::string db_path = tmp.path + "/runs.sqlite";
  run_and_kill_when("xrd_holds.toml", "100", db_path, "SELECT count(*) >= 1 FROM frames WHERE step_index = 1");
  std::vector<std::vector<std::string>> frames_before;
  {
    Db db(db_path);
    frames_before = db.rows("SELECT frame_index, trigger_mono_ns, status FROM frames ORDER BY frame_index");
  }
  REQUIRE(frames_before.size() >= 4);  // three in the first hold, at least one in the second

  const auto resumed = resume(db_path, {"--sim"});
  INFO("stderr: " << resumed.err);
  REQUIRE(resumed.exit_code == 0);
  Db db(db_path);
  CHECK(db.scalar("SELECT exit_status FROM runs WHERE id = 1") == "success");
  const auto frames_after = db.rows("SELECT frame_index, trigger_mono_ns, status FROM frames ORDER BY frame_index");
  // The second hold ran again: six more frames, numbered after the first attempt's.
  CHECK(frames_after.size() == frames_before.size() + 6);
  for (std::size_t i = 0; i < frames_before.size(); ++i) CHECK(frames_after[i] == frames_before[i]);
  CHECK(count(db, fmt::format("frames WHERE frame_index > {} AND status = 'ok'", frames_before.back()[0])) == 6);
}

namespace {

/// `glasslab sim linkam` at speed 1 on a fixed link, standing in for the lab's stage: it belongs
/// to the test, so it keeps running its program across the kill of the process that drove it.
class LabStage {
public:
  explicit LabStage(const std::string& link) {
    int out[2];
    REQUIRE(pipe(out) == 0);
    pid_ = fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      dup2(out[1], STDOUT_FILENO);
      close(out[0]);
      close(out[1]);
      execl(GLASSLAB_BINARY, GLASSLAB_BINARY, "sim", "linkam", "--link", link.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    close(out[1]);
    out_ = out[0];
    char c = 0;
    while (read(out_, &c, 1) == 1 && c != '\n') path_ += c;  // the first line: the link, once it exists
    REQUIRE(path_ == link);
  }
  ~LabStage() {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    close(out_);
  }

private:
  pid_t pid_ = -1;
  int out_ = -1;
  std::string path_;
};

}  // namespace

TEST_CASE("a lab run (no --sim, real time) killed in its first hold resumes against the same instrument") {
  TempDir tmp;
  const std::string link = tmp.path + "/linkam-tty";
  LabStage stage(link);
  const std::string schedule = tmp.path + "/lab.toml";
  std::ofstream(schedule) << fmt::format(R"([schedule]
title = "e2e: lab resume"
[sample]
name = "e2e disc"
state = "as_cast"
[instruments.stage]
connection = "serial:{}?baud=19200&flow=none"
poll_Hz = 5
settle_s = 0.5
[[step]]
kind = "hold"
temperature_K = 295.15
duration_s = 2
checkpoint = true
[[step]]
kind = "hold"
temperature_K = 295.15
duration_s = 1
checkpoint = true
)",
                                         link);
  const std::string db_path = tmp.path + "/runs.sqlite";
  StoreWatch watch(db_path);
  bool killed_in_hold = false;
  run_process({GLASSLAB_BINARY, "run", schedule, "--db", db_path, "--quiet"}, std::chrono::seconds(60), [&](int pid) {
    killed_in_hold = watch.wait_for("SELECT count(*) >= 6 FROM stage_readings WHERE step_index = 0", std::chrono::seconds(30));
    kill(pid, SIGKILL);
  });
  REQUIRE(killed_in_hold);

  const auto simulated = resume(db_path, {"--sim"});
  CHECK(simulated.exit_code == 2);
  CHECK(simulated.err.find("ran on real instruments") != std::string::npos);

  const auto resumed = resume(db_path);
  INFO("stderr: " << resumed.err);
  REQUIRE(resumed.exit_code == 0);
  Db db(db_path);
  CHECK(db.scalar("SELECT exit_status FROM runs WHERE id = 1") == "success");
  CHECK(db.scalar("SELECT message FROM events WHERE kind = 'resume'").find("restarts at step 1/2") != std::string::npos);
  CHECK(db.scalar("SELECT message FROM events WHERE kind = 'resume'").find("simulated stage") == std::string::npos);
  CHECK(db.scalar("SELECT message FROM events WHERE kind = 'configuration'").find(link) != std::string::npos);
  CHECK(count(db, "events WHERE kind = 'step_end'") == 2);
  CHECK(db.scalar("SELECT count(*) FROM (SELECT t_mono_ns - lag(t_mono_ns) OVER (ORDER BY rowid) AS d "
                  "FROM stage_readings) WHERE d <= 0") == "0");
}
