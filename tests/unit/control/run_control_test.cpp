// RunControl: what pause, resume and abort do in each state, and that every request is logged
// with its origin.
#include <doctest/doctest.h>

#include "acquisition/control/run_control.hpp"
#include "event_log.hpp"

using namespace glasslab;
using namespace glasslab::acquisition::control;
using glasslab::acquisition::test::EventLog;

namespace {
const ControlOrigin kDashboard{"dashboard", "127.0.0.1:51234"};
const ControlOrigin kCtl{"ctl", "pid 42 user lab"};
}  // namespace

TEST_CASE("pause is requested, confirmed at the safe point, and resumed") {
  EventLog log;
  ManualClock clock;
  RunControl control(log, clock);
  CHECK(control.state() == ControlState::running);
  CHECK_FALSE(control.request(ControlAction::resume, kCtl).accepted);  // nothing to resume

  const auto pause = control.request(ControlAction::pause, kDashboard);
  CHECK(pause.accepted);
  CHECK(control.state() == ControlState::pause_requested);
  CHECK(control.pause_wanted());
  CHECK_FALSE(control.request(ControlAction::pause, kCtl).accepted);  // already requested

  control.confirm_paused("stage holds at 400.00 K");
  CHECK(control.state() == ControlState::paused);
  clock.advance_s(30);
  CHECK(control.paused_s() == doctest::Approx(30));
  CHECK_FALSE(control.request(ControlAction::pause, kCtl).accepted);  // already paused

  CHECK(control.request(ControlAction::resume, kCtl).accepted);
  CHECK_FALSE(control.pause_wanted());
  CHECK(control.state() == ControlState::paused);  // until the running part confirms
  CHECK_FALSE(control.request(ControlAction::resume, kCtl).accepted);  // already requested
  clock.advance_s(2);
  control.confirm_resumed("ramp on");
  CHECK(control.state() == ControlState::running);
  CHECK(control.paused_s() == doctest::Approx(32));
  CHECK(log.messages("paused") == std::vector<std::string>{"stage holds at 400.00 K"});
  REQUIRE(log.messages("resumed").size() == 1);
  CHECK(log.messages("resumed")[0] == "after 32.0 s paused: ramp on");
}

TEST_CASE("a resume before the pause took effect withdraws it") {
  EventLog log;
  ManualClock clock;
  RunControl control(log, clock);
  control.request(ControlAction::pause, kDashboard);
  const auto resume = control.request(ControlAction::resume, kDashboard);
  CHECK(resume.accepted);
  CHECK(resume.outcome.find("withdrawn") != std::string::npos);
  CHECK(control.state() == ControlState::running);
  CHECK_FALSE(control.pause_wanted());
}

TEST_CASE("abort ends pausing and is final, naming who asked") {
  EventLog log;
  ManualClock clock;
  RunControl control(log, clock);
  control.request(ControlAction::pause, kCtl);
  control.confirm_paused("holding");
  CHECK(control.request(ControlAction::abort, kDashboard).accepted);
  CHECK(control.abort_requested());
  CHECK_FALSE(control.pause_wanted());  // a pause loop must let go
  CHECK(control.state() == ControlState::aborting);
  CHECK(control.abort_reason() == "aborted by operator (dashboard 127.0.0.1:51234)");
  for (auto action : {ControlAction::pause, ControlAction::resume, ControlAction::abort})
    CHECK_FALSE(control.request(action, kCtl).accepted);
}

TEST_CASE("a signal aborts exactly as before: the flag alone, the reason says signal") {
  EventLog log;
  ManualClock clock;
  std::atomic<bool> signal_flag{false};
  RunControl control(log, clock, &signal_flag);
  CHECK_FALSE(control.abort_requested());
  signal_flag.store(true);  // what the SIGINT handler does, and nothing else
  CHECK(control.abort_requested());
  CHECK(control.state() == ControlState::aborting);
  CHECK(control.abort_reason() == "aborted by operator (signal)");
  CHECK_FALSE(control.request(ControlAction::pause, kCtl).accepted);
}

TEST_CASE("every request is an event with its origin, accepted or refused") {
  EventLog log;
  ManualClock clock;
  RunControl control(log, clock);
  control.request(ControlAction::resume, kCtl);
  control.request(ControlAction::pause, kDashboard);
  control.note_refused_attempt(ControlAction::abort, kDashboard, "wrong control token for run 3");
  const auto requests = log.messages("control_request");
  REQUIRE(requests.size() == 3);
  CHECK(requests[0].rfind("resume requested from ctl pid 42 user lab: refused: ", 0) == 0);
  CHECK(requests[1].rfind("pause requested from dashboard 127.0.0.1:51234: accepted: ", 0) == 0);
  CHECK(requests[2] == "abort requested from dashboard 127.0.0.1:51234: refused: wrong control token for run 3");
  for (const auto& e : log.events()) CHECK(e.source == "operator");
}

TEST_CASE("actions parse from their names only") {
  CHECK(parse_action("pause") == ControlAction::pause);
  CHECK(parse_action("abort") == ControlAction::abort);
  CHECK_FALSE(parse_action("Pause").has_value());
  CHECK_FALSE(parse_action("stop").has_value());
}
