// The run store as the control bus between processes (acquisition/control/control_bus): token
// rules, the run's verdicts, refusal after the end. Real SQLite files; the "other process" is
// submit_control_request on its own connection, as `glasslab ctl` and `glasslab serve` use it.
#include <doctest/doctest.h>

#include <thread>

#include "acquisition/control/control_bus.hpp"
#include "acquisition/control/control_token.hpp"
#include "acquisition/store/run_store.hpp"
#include "acquisition/store/sqlite.hpp"
#include "tests/unit/store/store_test_support.hpp"

using namespace glasslab;
using namespace glasslab::acquisition;
using namespace glasslab::acquisition::control;
using acquisition::test::sql_text;

namespace {

const ControlOrigin kCtl{"ctl", "pid 1 user test"};

/// A run being recorded, with its control bus, as `glasslab run` sets them up.
struct RunWithBus {
  explicit RunWithBus(const std::string& path, ControlBusOptions options = {})
      : store(path), clock(), control(store, clock), run(store.begin_run(test::run_start())),
        bus(path, run, token_sha256_hex(token), control, [] { return std::string(R"({"step_index":2})"); }, options) {}
  RunStore store;
  ManualClock clock;
  RunControl control;
  RunId run;
  const std::string token = make_control_token();
  ControlBus bus;
};

}  // namespace

TEST_CASE("tokens are 128 random bits in hex and only their SHA-256 is compared") {
  const auto a = make_control_token(), b = make_control_token();
  CHECK(a.size() == 32);
  CHECK(a.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(a != b);
  CHECK(token_sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");  // FIPS 180-2
  CHECK(token_matches(a, token_sha256_hex(a)));
  CHECK_FALSE(token_matches(b, token_sha256_hex(a)));
  CHECK_FALSE(token_matches("", token_sha256_hex(a)));
}

TEST_CASE("a request with the right token reaches the run, which answers it") {
  test::TempDir dir;
  const auto path = dir.file("runs.sqlite");
  RunWithBus r(path);
  CHECK(sql_text(path, "SELECT token_sha256 FROM run_control") == token_sha256_hex(r.token));
  CHECK(sql_text(path, "SELECT COUNT(*) FROM run_control WHERE token_sha256 LIKE '%" + r.token + "%'") == "0");

  const auto submitted = submit_control_request(path, r.run, ControlAction::pause, r.token, kCtl);
  REQUIRE(submitted.verdict == SubmitVerdict::queued);
  const auto answer = wait_for_request(path, submitted.request_id, std::chrono::seconds(5));
  CHECK(answer.status == "accepted");
  CHECK(r.control.state() == ControlState::pause_requested);
  // The same action again: the run itself refuses it.
  const auto again = submit_control_request(path, r.run, ControlAction::pause, r.token, kCtl);
  CHECK(wait_for_request(path, again.request_id, std::chrono::seconds(5)).status == "refused");
  // The live status is published for readers.
  for (int i = 0; i < 100 && sql_text(path, "SELECT status_json FROM run_control") == "{}"; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(sql_text(path, "SELECT status_json FROM run_control") == R"({"step_index":2})");
  CHECK(sql_text(path, "SELECT state FROM run_control") == "pause_requested");
}

TEST_CASE("no token and a wrong token are refused before the run is asked, and logged in its events") {
  test::TempDir dir;
  const auto path = dir.file("runs.sqlite");
  RunWithBus r(path);
  const auto none = submit_control_request(path, r.run, ControlAction::abort, "", kCtl);
  CHECK(none.verdict == SubmitVerdict::no_token);
  const auto wrong = submit_control_request(path, r.run, ControlAction::abort, make_control_token(), kCtl);
  CHECK(wrong.verdict == SubmitVerdict::wrong_token);
  CHECK(wrong.message.find("wrong control token") != std::string::npos);
  CHECK_FALSE(r.control.abort_requested());
  // The bus reads the refused rows and the run logs them.
  for (int i = 0; i < 100 && r.store.stats().records_queued < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  r.store.flush();
  CHECK(sql_text(path, "SELECT COUNT(*) FROM events WHERE kind = 'control_request' AND message LIKE 'abort requested from ctl%refused%'") == "2");
  CHECK(sql_text(path, "SELECT COUNT(*) FROM control_requests WHERE status = 'refused'") == "2");
}

TEST_CASE("after the run's end every request is refused, and what was pending is answered") {
  test::TempDir dir;
  const auto path = dir.file("runs.sqlite");
  ControlBusOptions never_polls;
  never_polls.poll_interval = std::chrono::hours(1);
  RunWithBus r(path, never_polls);
  const auto pending = submit_control_request(path, r.run, ControlAction::pause, r.token, kCtl);
  REQUIRE(pending.verdict == SubmitVerdict::queued);
  r.bus.close();
  CHECK(wait_for_request(path, pending.request_id, std::chrono::seconds(1)).outcome ==
        "the run ended before the request was applied");
  CHECK(sql_text(path, "SELECT state FROM run_control") == "ended");
  const auto replay = submit_control_request(path, r.run, ControlAction::pause, r.token, kCtl);
  CHECK(replay.verdict == SubmitVerdict::not_running);
  r.store.end_run(r.run, RunStop{});
  CHECK(submit_control_request(path, r.run, ControlAction::resume, r.token, kCtl).message.find("status 'success'") !=
        std::string::npos);
}

TEST_CASE("a run whose process is gone, a run without a token and an unknown run are refused") {
  test::TempDir dir;
  const auto path = dir.file("runs.sqlite");
  RunWithBus r(path);
  {
    sqlite::Database db(path, sqlite::Database::Mode::read_write);
    db.exec("PRAGMA busy_timeout = 5000");
    db.exec("UPDATE runs SET writer_pid = 999999999, writer_start_ticks = 1");  // no such process
  }
  const auto gone = submit_control_request(path, r.run, ControlAction::pause, r.token, kCtl);
  CHECK(gone.verdict == SubmitVerdict::not_running);
  CHECK(gone.message.find("is gone") != std::string::npos);

  const RunId imported = r.store.begin_run(test::run_start());  // no bus: no token
  CHECK(submit_control_request(path, imported, ControlAction::pause, r.token, kCtl).verdict ==
        SubmitVerdict::not_controllable);
  CHECK(submit_control_request(path, 4242, ControlAction::pause, r.token, kCtl).verdict == SubmitVerdict::no_such_run);
}

TEST_CASE("a resumed run is controlled with the token its resume printed, the first process's token is refused") {
  test::TempDir dir;
  const auto path = dir.file("runs.sqlite");
  RunStore store(path);
  ManualClock clock;
  RunControl first_control(store, clock), second_control(store, clock);
  const RunId run = store.begin_run(test::run_start());
  const std::string first_token = make_control_token();
  {
    ControlBus first(path, run, token_sha256_hex(first_token), first_control, [] { return std::string("{}"); });
    first.close();
  }
  store.end_run(run, RunStop{ExitStatus::failed, "interlock watchdog", 0, 0});

  // `glasslab resume`: the same run id, a new process (here: the same one) and a new token. The
  // run_control row is replaced (ON CONFLICT), not duplicated, and its state is running again.
  store.resume_run(run);
  const std::string second_token = make_control_token();
  ControlBus second(path, run, token_sha256_hex(second_token), second_control, [] { return std::string("{}"); });
  CHECK(sql_text(path, "SELECT COUNT(*) FROM run_control") == "1");
  CHECK(sql_text(path, "SELECT state FROM run_control") == "running");
  CHECK(sql_text(path, "SELECT token_sha256 FROM run_control") == token_sha256_hex(second_token));

  const auto stale = submit_control_request(path, run, ControlAction::pause, first_token, kCtl);
  CHECK(stale.verdict == SubmitVerdict::wrong_token);
  CHECK_FALSE(second_control.state() == ControlState::pause_requested);

  const auto fresh = submit_control_request(path, run, ControlAction::pause, second_token, kCtl);
  REQUIRE(fresh.verdict == SubmitVerdict::queued);
  CHECK(wait_for_request(path, fresh.request_id, std::chrono::seconds(5)).status == "accepted");
  CHECK(second_control.state() == ControlState::pause_requested);
}
