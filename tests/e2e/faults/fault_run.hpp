#pragma once
// The fault matrix's common part (issue 7 item 3, docs/reliability.md "Fault table"): a real
// `glasslab run --sim` with one fault switched on, the simulators' own logs of what they emitted,
// and bench/soak/accounting.py, which checks every emitted reading against the store (the same
// check the simulated night runs on 24 hours).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tests/support/process.hpp"
#include "tests/support/sqlite_db.hpp"

namespace glasslab::test {

inline const std::string kFaultFixtures = std::string(GLASSLAB_SOURCE_DIR) + "/tests/e2e/faults/fixtures/";

struct FaultRun {
  ProcessResult process;
  std::string run_id, db_path, t95_log, rheometer_log;
};

/// `glasslab run SCHEDULE --sim --speed SPEED` with the simulators' logs in `tmp`, plus `extra`.
inline FaultRun run_with_faults(const TempDir& tmp, const std::string& schedule, double speed,
                                const std::vector<std::string>& extra, int timeout_s = 90) {
  FaultRun r;
  r.db_path = tmp.path + "/runs.sqlite";
  r.t95_log = tmp.path + "/t95_replies.csv";
  r.rheometer_log = tmp.path + "/rheometer_events.csv";
  std::vector<std::string> argv{GLASSLAB_BINARY, "run", schedule, "--sim", "--speed", fmt::format("{}", speed),
                                "--db", r.db_path, "--quiet", "--stage-sim-arg=--reply-log=" + r.t95_log,
                                "--rheometer-sim-arg=--event-log=" + r.rheometer_log};
  argv.insert(argv.end(), extra.begin(), extra.end());
  r.process = run_process(argv, std::chrono::seconds(timeout_s));
  r.run_id = last_line(r.process.out);
  return r;
}

/// bench/soak/accounting.py on one segment: {"stage": [...], "dma": [...]} (see its docstring).
inline nlohmann::json account(const FaultRun& r, bool stage, bool dma) {
  std::vector<std::string> argv{"/usr/bin/env", "python3", std::string(GLASSLAB_SOURCE_DIR) + "/bench/soak/accounting.py", "--db",
                                r.db_path, "--run", r.run_id};
  if (stage) argv.insert(argv.end(), {"--t95-log", r.t95_log});
  if (dma) argv.insert(argv.end(), {"--rheometer-log", r.rheometer_log});
  const auto result = run_process(argv, std::chrono::seconds(60));
  INFO("accounting stderr: " << result.err);
  REQUIRE(result.exit_code == 0);
  return nlohmann::json::parse(result.out);
}

/// The stage's promise: every T reply the simulator sent is a stored reading or inside a recorded
/// gap (or the connection's handshake, or the exit's), no stored reading it did not send, and the
/// controller left stopped (the fixtures' safe state).
inline nlohmann::json check_stage_accounted(const FaultRun& r) {
  const auto all = account(r, true, false);
  REQUIRE(all.at("stage").size() == 1);
  const auto& s = all.at("stage")[0];
  INFO("stage accounting: " << s.dump());
  CHECK(s.at("unaccounted") == 0);
  CHECK(s.at("stored_unpaired") == 0);
  CHECK(s.at("stored").get<int>() > 0);
  CHECK(s.at("exit_state") == "stopped");
  return s;
}

inline long long count_of(Db& db, const std::string& run_id, const std::string& where) {
  return std::stoll(db.scalar(fmt::format("SELECT count(*) FROM events WHERE run_id = {} AND {}", run_id, where)));
}

}  // namespace glasslab::test
