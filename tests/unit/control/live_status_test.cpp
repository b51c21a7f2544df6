// The live status board: progress from the stage engine or from the plan (DMA), frames and the
// last Seq, faults, and the control state in every snapshot.
#include <doctest/doctest.h>

#include "acquisition/control/live_status.hpp"
#include "event_log.hpp"

using namespace glasslab;
using namespace glasslab::acquisition;
using namespace glasslab::acquisition::control;

namespace {
schedules::Plan two_step_plan() {
  schedules::Plan plan;
  plan.steps.resize(2);
  plan.steps[0].kind = "dma_ramp";
  plan.steps[0].description = "first";
  plan.steps[0].duration_s = 100;
  plan.steps[1].kind = "dma_isothermal";
  plan.steps[1].description = "second";
  plan.steps[1].start_s = 100;
  plan.steps[1].duration_s = 300;
  plan.total_s = 400;
  return plan;
}
}  // namespace

TEST_CASE("a DMA queue's progress comes from the plan and the time in the running sweep") {
  ManualClock clock;
  LiveStatusBoard board(clock);
  board.set_plan(two_step_plan());
  board.on_dma_sweep_start(2, 2, "step 2 beta", 1);
  clock.advance_s(150);
  DmaPoint p;
  p.frequency_Hz = 3;
  p.T_K = 412.5;
  board.on_dma_point(p);
  const LiveStatus s = board.snapshot();
  CHECK(s.step_index == 1);
  CHECK(s.step_kind == "dma_isothermal");
  CHECK(s.run_fraction == doctest::Approx(250.0 / 400.0));
  CHECK(s.remaining_s == doctest::Approx(150));
  CHECK(s.dma_sweep_number == 2);
  CHECK(*s.dma_frequency_Hz == 3);
  CHECK(s.dma_points == 1);
  clock.advance_s(1000);  // a sweep slower than planned: never past its own share
  CHECK(board.snapshot().run_fraction == doctest::Approx(1.0));
}

TEST_CASE("frames, the last Seq with its temperature, faults and the control state") {
  ManualClock clock;
  test::EventLog log;
  RunControl control(log, clock);
  LiveStatusBoard board(clock);
  board.set_control(&control);
  RunProgress p;
  p.step_index = 1;
  p.step_count = 3;
  p.T_K = 500;
  p.faults = 2;
  board.on_progress(p);
  FrameRecord frame;
  frame.index = 7;
  frame.status = "ok";
  frame.T_mid_K = 501.25;
  board.on_frame(frame);
  FrameAnalysis seq;
  seq.frame_index = 7;
  seq.status = "ok";
  seq.seq_kB_per_atom = -4.2;
  board.on_frame_analysis(seq);
  board.on_event(Event{0, 0, EventLevel::warning, "xrd", "frame_late", "late"});
  board.on_event(Event{0, 0, EventLevel::warning, "operator", "control_request", "refused"});  // not a fault
  control.request(ControlAction::pause, {"terminal", "/dev/pts/1"});
  const LiveStatus s = board.snapshot();
  CHECK(s.frames == 1);
  CHECK(*s.last_seq_kB_per_atom == -4.2);
  CHECK(*s.last_seq_T_K == 501.25);
  CHECK(s.faults == 3);
  CHECK(s.control_state == "pause_requested");
  const auto j = to_json(s);
  CHECK(j["dma_frequency_Hz"].is_null());
  CHECK(j["T_K"] == 500);
  CHECK(j["control_state"] == "pause_requested");
}

TEST_CASE("a resumed run counts the frames and DMA points its earlier processes recorded") {
  ManualClock clock;
  LiveStatusBoard board(clock);
  board.count_earlier_records({12, 11, 340});
  FrameRecord frame;
  frame.index = 12;  // frames number on after the last stored index
  frame.status = "ok";
  board.on_frame(frame);
  DmaPoint point;
  point.frequency_Hz = 3;
  board.on_dma_point(point);
  const LiveStatus s = board.snapshot();
  CHECK(s.frames == 13);
  CHECK(s.frames_ok == 12);
  CHECK(s.dma_points == 341);
}
