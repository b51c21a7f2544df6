// `glasslab run` with X-ray frames on the simulated T95 + FT232H trigger box + detector, the real
// CLI as a separate process (issue 3): frames recorded with their files and temperatures checked
// against the T95 simulator's truth log, the frames CSV header, live Seq, and the trigger box
// vanishing mid-ramp.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "tests/support/process.hpp"
#include "tests/support/sqlite_db.hpp"

using glasslab::test::last_line;
using glasslab::test::run_process;
using glasslab::test::TempDir;

namespace {

const std::string kShortXrd = std::string(GLASSLAB_SOURCE_DIR) + "/tests/e2e/xrd/fixtures/short_xrd.toml";

using glasslab::test::Db;

/// The T95 simulator's truth log keyed on the shared clock (clock_mono_ns column).
struct TruthLog {
  explicit TruthLog(const std::string& path) {
    std::ifstream in(path);
    REQUIRE_MESSAGE(in, "no truth log at " << path);
    std::string line;
    std::getline(in, line);
    REQUIRE(line == "t_s,T_K,setpoint_K,state,clock_mono_ns");
    while (std::getline(in, line)) {
      std::vector<std::string> f;
      std::stringstream fields(line);
      for (std::string item; std::getline(fields, item, ',');) f.push_back(item);
      if (f.size() < 5) continue;
      mono_ns.push_back(std::stod(f[4]));
      T_K.push_back(std::stod(f[1]));
      last_state = f[3];
    }
    REQUIRE(mono_ns.size() > 10);
  }
  double at(double t_ns) const {
    REQUIRE(t_ns >= mono_ns.front());
    REQUIRE(t_ns <= mono_ns.back());
    const auto i = static_cast<std::size_t>(std::upper_bound(mono_ns.begin(), mono_ns.end(), t_ns) - mono_ns.begin());
    if (i >= mono_ns.size()) return T_K.back();
    const double w = (t_ns - mono_ns[i - 1]) / (mono_ns[i] - mono_ns[i - 1]);
    return T_K[i - 1] + w * (T_K[i] - T_K[i - 1]);
  }
  std::vector<double> mono_ns, T_K;
  std::string last_state;  ///< the stage's program state when the simulator stopped
};

/// "simulator files: DIR" from the run's stdout.
std::string work_dir_of(const std::string& out) {
  const auto at = out.find("simulator files: ");
  REQUIRE(at != std::string::npos);
  const auto end = out.find('\n', at);
  return out.substr(at + 17, end - at - 17);
}

}  // namespace

TEST_CASE("run --sim with xrd frames: every frame ok, on file, T_mid on the truth, live Seq stored") {
  TempDir tmp;
  const std::string db_path = tmp.path + "/runs.sqlite";
  auto result = run_process({GLASSLAB_BINARY, "run", kShortXrd, "--sim", "--speed", "100", "--db", db_path, "--quiet"},
                            std::chrono::seconds(90));
  INFO("stderr: " << result.err);
  REQUIRE_FALSE(result.timed_out);
  REQUIRE(result.exit_code == 0);
  const std::string run_id = last_line(result.out);
  const TruthLog truth(work_dir_of(result.out) + "/stage_truth.csv");

  Db db(db_path);
  const auto frames = db.rows(fmt::format(
      "SELECT frame_index, t_start_mono_ns, t_end_mono_ns, T_start_K, T_mid_K, T_end_K, file, status, step_index, reason "
      "FROM frames WHERE run_id = {} ORDER BY frame_index", run_id));
  // 120 s ramp of 12 s frames (10) + one frame on the hold.
  CHECK(frames.size() >= 10);
  CHECK(frames.size() <= 12);
  int hold_frames = 0;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const auto& f = frames[i];
    INFO("frame " << f[0] << " reason " << f[9]);
    CHECK(std::stoi(f[0]) == static_cast<int>(i));  // numbered on through the steps
    CHECK(f[7] == "ok");
    CHECK(std::filesystem::exists(f[6]));
    REQUIRE_FALSE(f[4].empty());
    const double mid_ns = 0.5 * (std::stod(f[1]) + std::stod(f[2]));
    CHECK(std::abs(std::stod(f[4]) - truth.at(mid_ns)) <= 0.05);
    CHECK(std::stod(f[3]) < std::stod(f[5]) + 0.3);  // heating (or holding): start not above end
    if (f[8] == "2") {
      ++hold_frames;
      CHECK(std::abs(std::stod(f[4]) - 323.15) < 0.5);  // a hold's frames start after the approach
    }
  }
  CHECK(hold_frames == 1);

  auto exported = run_process({GLASSLAB_BINARY, "export", run_id, "--stream", "frames", "--format", "csv", "--db", db_path},
                              std::chrono::seconds(30));
  REQUIRE(exported.exit_code == 0);
  const std::string header = exported.out.substr(0, exported.out.find('\n'));
  std::vector<std::string> columns;
  std::stringstream split(header);
  for (std::string c; std::getline(split, c, ',');) columns.push_back(c);
  for (const char* wanted : {"index", "t_start_utc", "t_end_utc", "T_start_K", "T_mid_K", "T_end_K", "file", "status"})
    CHECK_MESSAGE(std::find(columns.begin(), columns.end(), wanted) != columns.end(), "missing column " << wanted);

  const auto analysed = db.rows(fmt::format(
      "SELECT frame_index, seq_kB_per_atom, status, reason FROM frame_analysis WHERE run_id = {} ORDER BY frame_index",
      run_id));
  CHECK(analysed.size() == frames.size());
  for (const auto& a : analysed) {
    INFO("frame " << a[0] << ": " << a[3]);
    CHECK(a[2] == "ok");
    REQUIRE_FALSE(a[1].empty());
    const double seq = std::stod(a[1]);
    CHECK(std::isfinite(seq));
    CHECK(seq < 0);  // Seq of a glass is negative (k_B per atom)
  }
}

TEST_CASE("run --sim: the trigger box unplugged mid-ramp stops frames, keeps those taken, ends failed and safe") {
  TempDir tmp;
  const std::string db_path = tmp.path + "/runs.sqlite";
  // Test hook of run_xrd.cpp: unplug the simulated box 70 experiment seconds after the run began.
  ::setenv("GLASSLAB_XRD_SIM_UNPLUG_AFTER_S", "70", 1);
  auto result = run_process({GLASSLAB_BINARY, "run", kShortXrd, "--sim", "--speed", "100", "--db", db_path, "--quiet"},
                            std::chrono::seconds(90));
  ::unsetenv("GLASSLAB_XRD_SIM_UNPLUG_AFTER_S");
  INFO("stderr: " << result.err);
  REQUIRE_FALSE(result.timed_out);
  CHECK(result.exit_code == 1);
  const std::string run_id = last_line(result.out);

  Db db(db_path);
  const auto run = db.rows(fmt::format("SELECT exit_status, exit_reason FROM runs WHERE id = {}", run_id));
  REQUIRE(run.size() == 1);
  CHECK(run[0][0] == "failed");
  CHECK(run[0][1].find("trigger box lost") != std::string::npos);

  const auto ok = db.rows(fmt::format("SELECT file FROM frames WHERE run_id = {} AND status = 'ok'", run_id));
  CHECK(ok.size() >= 2);  // frames before the unplug are kept, with their files
  CHECK(ok.size() <= 7);  // and none after it (70 s into a run whose ramp starts after ~20 s)
  for (const auto& f : ok) CHECK(std::filesystem::exists(f[0]));
  CHECK(db.rows(fmt::format("SELECT 1 FROM frames WHERE run_id = {} AND step_index = 2", run_id)).empty());
  CHECK_FALSE(db.rows(fmt::format("SELECT 1 FROM events WHERE run_id = {} AND kind = 'trigger_lost'", run_id)).empty());
  CHECK_FALSE(db.rows(fmt::format("SELECT 1 FROM events WHERE run_id = {} AND kind = 'safe_state'", run_id)).empty());
  // The stage as its simulator saw it at the end: stopped (the fixture's safe state), not ramping on.
  CHECK(TruthLog(work_dir_of(result.out) + "/stage_truth.csv").last_state == "stopped");
}
