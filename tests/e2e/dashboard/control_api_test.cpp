// Control of a running `glasslab run` from other processes and from its terminal (issue 6): the
// dashboard's HTTP API served by a separate `glasslab serve`, `glasslab ctl`, and the terminal
// keys on a real pseudo-terminal. Every check runs the real CLI on the simulated T95 and reads the
// real SQLite file.
#include <doctest/doctest.h>

#include <regex>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tests/support/http_client.hpp"
#include "tests/support/process.hpp"
#include "tests/support/sqlite_db.hpp"

using glasslab::test::BackgroundProcess;
using glasslab::test::Db;
using glasslab::test::http_request;
using glasslab::test::run_process;
using glasslab::test::TempDir;

namespace {

const std::string kShortProfile = std::string(GLASSLAB_SOURCE_DIR) + "/tests/e2e/run/fixtures/short_profile.toml";
const std::string kThreeSweeps = std::string(GLASSLAB_SOURCE_DIR) + "/tests/e2e/dma/fixtures/three_sweeps.toml";

std::string match(const std::string& text, const std::string& pattern) {
  std::smatch m;
  REQUIRE_MESSAGE(std::regex_search(text, m, std::regex(pattern)), "'" << pattern << "' not in:\n" << text);
  return m[1];
}

/// A simulated run (the short stage profile unless told), with its id and token read from its stderr.
struct RunningRun {
  explicit RunningRun(const std::string& db_path, std::vector<std::string> extra = {}, bool pty = false,
                      const std::string& schedule = kShortProfile, const std::string& speed = "20")
      : process(make_argv(db_path, std::move(extra), schedule, speed), pty) {
    const std::string text = process.wait_for_text("control token: ", std::chrono::seconds(30));
    token = match(process.wait_for_text("--db", std::chrono::seconds(10)), "control token: ([0-9a-f]{32})");
    run_id = match(text, "run (\\d+) started");
  }
  static std::vector<std::string> make_argv(const std::string& db_path, std::vector<std::string> extra,
                                            const std::string& schedule, const std::string& speed) {
    std::vector<std::string> argv{GLASSLAB_BINARY, "run", schedule, "--sim", "--speed", speed, "--db", db_path};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }
  BackgroundProcess process;
  std::string token, run_id;
};

/// `glasslab serve --port 0` on the same store, another process than the run.
struct Server {
  explicit Server(const std::string& db_path) : process({GLASSLAB_BINARY, "serve", "--db", db_path, "--port", "0"}) {
    port = std::stoi(match(process.wait_for_text("http://", std::chrono::seconds(20), true), "http://127\\.0\\.0\\.1:(\\d+)/"));
  }
  glasslab::test::HttpReply control(const std::string& run, const std::string& action, const std::string& token) {
    std::vector<std::pair<std::string, std::string>> headers{{"Content-Type", "application/json"}};
    if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
    return http_request(port, "POST", "/api/runs/" + run + "/control", headers,
                        nlohmann::json{{"action", action}}.dump());
  }
  BackgroundProcess process;
  int port = 0;
};

std::string control_state(Server& server, const std::string& run) {
  const auto reply = http_request(server.port, "GET", "/api/runs/" + run + "/control");
  REQUIRE(reply.status == 200);
  return nlohmann::json::parse(reply.body).value("state", "");
}

void wait_for_state(Server& server, const std::string& run, const std::string& wanted) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (control_state(server, run) != wanted) {
    REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "run " << run << " never reached state " << wanted);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace

TEST_CASE("dashboard control API: no token 401, wrong token 403, pause and resume accepted, replay after the end 409") {
  TempDir tmp;
  const std::string db_path = tmp.path + "/runs.sqlite";
  RunningRun run(db_path, {"--quiet"});
  Server server(db_path);

  auto no_token = server.control(run.run_id, "pause", "");
  CHECK(no_token.status == 401);
  CHECK(no_token.headers["www-authenticate"].find("Bearer") != std::string::npos);
  CHECK(nlohmann::json::parse(no_token.body)["verdict"] == "no_token");
  auto wrong = server.control(run.run_id, "pause", std::string(32, '0'));
  CHECK(wrong.status == 403);
  CHECK(nlohmann::json::parse(wrong.body)["verdict"] == "wrong_token");
  CHECK(control_state(server, run.run_id) == "running");  // neither did anything

  auto bad_body = http_request(server.port, "POST", "/api/runs/" + run.run_id + "/control",
                               {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + run.token}},
                               R"({"action": "explode"})");
  CHECK(bad_body.status == 400);
  CHECK(server.control("999", "pause", run.token).status == 404);

  auto pause = server.control(run.run_id, "pause", run.token);
  INFO("pause: " << pause.body);
  CHECK(pause.status == 200);
  CHECK(nlohmann::json::parse(pause.body)["status"] == "accepted");
  wait_for_state(server, run.run_id, "paused");
  std::this_thread::sleep_for(std::chrono::seconds(1));  // 20 s of experiment time on hold
  CHECK(server.control(run.run_id, "pause", run.token).status == 409);  // the run says: already paused
  CHECK(server.control(run.run_id, "resume", run.token).status == 200);
  wait_for_state(server, run.run_id, "running");
  CHECK(server.control(run.run_id, "abort", run.token).status == 200);
  REQUIRE(run.process.wait_exit(std::chrono::seconds(30)) == std::optional<int>(3));

  // The same token after the end: refused, whatever the action.
  auto replay = server.control(run.run_id, "pause", run.token);
  CHECK(replay.status == 409);
  CHECK(nlohmann::json::parse(replay.body)["verdict"] == "not_running");
  CHECK(server.control(run.run_id, "abort", run.token).status == 409);

  Db db(db_path);
  const auto id = run.run_id;
  CHECK(db.scalar("SELECT exit_status FROM runs WHERE id = " + id) == "aborted");
  CHECK(db.scalar("SELECT exit_reason FROM runs WHERE id = " + id).rfind("aborted by operator (dashboard 127.0.0.1:", 0) == 0);
  CHECK(db.scalar("SELECT state FROM run_control WHERE run_id = " + id) == "ended");
  CHECK(db.scalar("SELECT token_sha256 != '" + run.token + "' AND length(token_sha256) = 64 FROM run_control") == "1");
  // Every attempt is in the run's events with its origin, refused ones too.
  CHECK(db.scalar("SELECT COUNT(*) FROM events WHERE run_id = " + id +
                  " AND kind = 'control_request' AND message LIKE '%from dashboard 127.0.0.1:%'") == "6");
  CHECK(db.scalar("SELECT COUNT(*) FROM events WHERE run_id = " + id +
                  " AND kind = 'control_request' AND message LIKE '%wrong control token%'") == "1");
  CHECK(db.scalar("SELECT COUNT(*) FROM events WHERE run_id = " + id + " AND kind IN ('paused', 'resumed')") == "2");
  CHECK(db.scalar("SELECT COUNT(*) FROM events WHERE run_id = " + id + " AND kind = 'safe_state' AND source = 'engine'") == "1");
  // The stage held while paused: no reading between the paused and resumed events moved by more than 2 K.
  CHECK(std::stod(db.scalar(
            "SELECT MAX(T_K) - MIN(T_K) FROM stage_readings WHERE run_id = " + id +
            " AND t_mono_ns BETWEEN (SELECT t_mono_ns FROM events WHERE kind = 'paused') + 2000000000"
            " AND (SELECT t_mono_ns FROM events WHERE kind = 'resumed')")) < 2.0);
}

TEST_CASE("glasslab ctl aborts a run from another process and is refused once the run has ended") {
  TempDir tmp;
  const std::string db_path = tmp.path + "/runs.sqlite";
  RunningRun run(db_path);
  auto wrong = run_process({GLASSLAB_BINARY, "ctl", run.run_id, "pause", "--token", "nope", "--db", db_path},
                           std::chrono::seconds(20));
  CHECK(wrong.exit_code == 1);
  CHECK(wrong.err.find("wrong control token") != std::string::npos);
  auto paused = run_process({GLASSLAB_BINARY, "ctl", run.run_id, "pause", "--token", run.token, "--db", db_path},
                            std::chrono::seconds(20));
  INFO("ctl pause: " << paused.out << paused.err);
  CHECK(paused.exit_code == 0);
  CHECK(paused.out.find("is paused") != std::string::npos);
  auto aborted = run_process({GLASSLAB_BINARY, "ctl", run.run_id, "abort", "--token", run.token, "--db", db_path},
                             std::chrono::seconds(20));
  CHECK(aborted.exit_code == 0);
  REQUIRE(run.process.wait_exit(std::chrono::seconds(30)) == std::optional<int>(3));
  const std::string err = run.process.err();
  CHECK(err.find("aborted by operator (ctl pid") != std::string::npos);
  // Not a terminal: plain timestamped progress lines, no control characters.
  CHECK(err.find('\033') == std::string::npos);
  CHECK(err.find('\r') == std::string::npos);
  CHECK(std::regex_search(err, std::regex(R"(\n\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ step 1/3 hold .*% .* left \| T \d+\.\d\d K)")));

  auto replay = run_process({GLASSLAB_BINARY, "ctl", run.run_id, "resume", "--token", run.token, "--db", db_path},
                            std::chrono::seconds(20));
  CHECK(replay.exit_code == 1);
  CHECK(replay.err.find("not running") != std::string::npos);
}

TEST_CASE("a DMA queue pauses between sweeps: the running sweep completes, no point is taken while paused") {
  TempDir tmp;
  const std::string db_path = tmp.path + "/runs.sqlite";
  RunningRun run(db_path, {}, false, kThreeSweeps, "100");
  auto ctl = [&](const std::string& action) {
    return run_process({GLASSLAB_BINARY, "ctl", run.run_id, action, "--token", run.token, "--db", db_path, "--wait", "20"},
                       std::chrono::seconds(30));
  };
  auto paused = ctl("pause");
  INFO("ctl pause: " << paused.out << paused.err << "\nrun: " << run.process.err());
  REQUIRE(paused.exit_code == 0);
  CHECK(paused.out.find("between sweeps") != std::string::npos);  // the operator is told when it takes effect
  CHECK(paused.out.find("is paused") != std::string::npos);
  std::this_thread::sleep_for(std::chrono::seconds(1));  // 100 s of experiment time on hold
  CHECK(ctl("resume").exit_code == 0);
  run.process.wait_for_text("[operator] resumed:", std::chrono::seconds(20));
  {
    // Sweep 2 measures once the oven has approached its first temperature (260 K -> 200 K at
    // 20 K/min: 180 s, ~2 s of wall time at x100); abort only after it has.
    Db live(db_path);
    auto second_sweep_points = [&live] {
      const auto r = live.rows("SELECT COUNT(*) FROM dma_points WHERE step_index = 1");
      return r.empty() ? 0 : std::stoi(r[0][0]);
    };
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (second_sweep_points() == 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(ctl("abort").exit_code == 0);
  REQUIRE(run.process.wait_exit(std::chrono::seconds(60)) == std::optional<int>(3));
  CHECK(run.process.err().find("DMA sweep 1/3") != std::string::npos);  // the plain progress lines
  Db db(db_path);
  CHECK(db.scalar("SELECT exit_reason FROM runs WHERE id = " + run.run_id).find("aborted by operator (ctl pid") !=
        std::string::npos);
  CHECK(db.scalar("SELECT message FROM events WHERE kind = 'paused'").find("before sweep 2/3") != std::string::npos);
  // The first sweep completed before the queue held, and nothing was measured while it held.
  CHECK(db.scalar("SELECT (SELECT t_mono_ns FROM events WHERE kind = 'sweep_end' ORDER BY t_mono_ns LIMIT 1) < "
                  "(SELECT t_mono_ns FROM events WHERE kind = 'paused')") == "1");
  CHECK(db.scalar("SELECT COUNT(*) FROM dma_points WHERE t_mono_ns BETWEEN (SELECT t_mono_ns FROM events WHERE kind = "
                  "'paused') AND (SELECT t_mono_ns FROM events WHERE kind = 'resumed')") == "0");
  CHECK(std::stoi(db.scalar("SELECT COUNT(*) FROM dma_points WHERE t_mono_ns > (SELECT t_mono_ns FROM events WHERE "
                            "kind = 'resumed')")) > 0);  // the second sweep ran after the resume
}

TEST_CASE("terminal keys on a pty: p pauses, r resumes, a then y aborts, and the panel is redrawn in place") {
  TempDir tmp;
  const std::string db_path = tmp.path + "/runs.sqlite";
  RunningRun run(db_path, {}, /*pty=*/true);
  run.process.wait_for_text("keys: p pause", std::chrono::seconds(20));
  run.process.send("p");
  run.process.wait_for_text("[operator] paused:", std::chrono::seconds(20));
  run.process.wait_for_text("[PAUSED]", std::chrono::seconds(10));
  run.process.send("r");
  run.process.wait_for_text("[operator] resumed:", std::chrono::seconds(20));
  run.process.send("a");
  run.process.wait_for_text("press y within 5 s", std::chrono::seconds(10));
  run.process.send("y");
  REQUIRE(run.process.wait_exit(std::chrono::seconds(30)) == std::optional<int>(3));
  const std::string screen = run.process.out();
  CHECK(screen.find("\033[J") != std::string::npos);  // the panel is cleared and redrawn, not scrolled
  CHECK(screen.find("stage T ") != std::string::npos);
  Db db(db_path);
  CHECK(db.scalar("SELECT exit_status FROM runs WHERE id = " + run.run_id) == "aborted");
  CHECK(db.scalar("SELECT COUNT(*) FROM events WHERE run_id = " + run.run_id +
                  " AND kind = 'control_request' AND message LIKE '%from terminal /dev/pts/%accepted%'") == "3");
}

TEST_CASE("serve refuses a non-loopback address without --allow-remote, a missing store, and other Host names") {
  TempDir tmp;
  const std::string db_path = tmp.path + "/runs.sqlite";
  auto remote = run_process({GLASSLAB_BINARY, "serve", "--db", db_path, "--bind", "0.0.0.0", "--port", "0"},
                            std::chrono::seconds(20));
  CHECK(remote.exit_code == 2);
  CHECK(remote.err.find("--allow-remote") != std::string::npos);
  auto missing = run_process({GLASSLAB_BINARY, "serve", "--db", db_path, "--port", "0"}, std::chrono::seconds(20));
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.find("no run store at") != std::string::npos);

  auto finished = run_process({GLASSLAB_BINARY, "run", kShortProfile, "--sim", "--speed", "200", "--db", db_path, "--quiet"},
                              std::chrono::seconds(60));
  REQUIRE(finished.exit_code == 0);
  Server server(db_path);
  auto runs = http_request(server.port, "GET", "/api/runs");
  REQUIRE(runs.status == 200);
  CHECK(nlohmann::json::parse(runs.body)[0]["exit_status"] == "success");
  auto stage = http_request(server.port, "GET", "/api/runs/1/stage?buckets=50");
  REQUIRE(stage.status == 200);
  const auto series = nlohmann::json::parse(stage.body);
  CHECK(series["downsampled"] == true);
  CHECK(series["t_s"].size() <= 100);
  CHECK(series["readings"].get<int>() > 500);
  CHECK(http_request(server.port, "GET", "/api/runs/7").status == 404);
  auto page = http_request(server.port, "GET", "/");
  CHECK(page.status == 200);
  CHECK(page.body.find("/assets/uPlot.iife.min.js") != std::string::npos);
  CHECK(http_request(server.port, "GET", "/assets/uPlot.iife.min.js").body.size() > 10000);
  // A page elsewhere that resolves its own name to 127.0.0.1 (DNS rebinding) is not answered.
  CHECK(http_request(server.port, "GET", "/api/runs", {{"Host", "evil.example:80"}}).status == 421);
}
