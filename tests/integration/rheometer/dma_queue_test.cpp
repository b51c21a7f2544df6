// acquisition/dma against the simulated DHR-3 over loopback TCP: a queue whose middle sweep fails
// while the others complete, a lost sample detected by modulus collapse, a connection that does
// not come back, the schedule-step adapters, and the plan of the overnight queue against the time
// the simulated instrument takes for it.
#include <doctest/doctest.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <vector>

#include "acquisition/dma/queue_runner.hpp"
#include "core/clock.hpp"
#include "schedules/plan.hpp"
#include "sim/rheometer/instrument.hpp"
#include "sim/rheometer/server.hpp"

using namespace glasslab;
using namespace glasslab::acquisition;
using namespace glasslab::acquisition::dma;
namespace sr = glasslab::sim::rheometer;

namespace {

class VectorRecorder final : public Recorder {
public:
  void record(const StageReading&) override {}
  void record(const FrameRecord&) override {}
  void record(const Event& e) override {
    std::lock_guard lock(mutex);
    events.push_back(e);
  }
  void record(const DmaPoint& p) override {
    std::lock_guard lock(mutex);
    points.push_back(p);
    if (on_point) on_point(points.size());
  }
  std::vector<DmaPoint> points_of(const std::string& sweep) const {
    std::vector<DmaPoint> out;
    for (const auto& p : points) if (p.sweep == sweep) out.push_back(p);
    return out;
  }
  bool has_event(const std::string& kind, const std::string& text) const {
    for (const auto& e : events) if (e.kind == kind && e.message.find(text) != std::string::npos) return true;
    return false;
  }
  std::mutex mutex;
  std::vector<Event> events;
  std::vector<DmaPoint> points;
  std::function<void(std::size_t)> on_point;
};

struct Lab {
  explicit Lab(double speed)
      : clock(speed), instrument(clock, sr::SampleState::as_cast, 21), server(instrument, {"127.0.0.1", 0}),
        client(options()) {
    server.start_background();
  }
  rheometer::ClientOptions options() {
    rheometer::ClientOptions o;
    o.port = server.port();
    o.reply_timeout = std::chrono::milliseconds(500);
    o.connect_timeout = std::chrono::milliseconds(300);
    o.backoff_initial = std::chrono::milliseconds(5);
    o.backoff_max = std::chrono::milliseconds(40);
    o.max_reconnect_attempts = 3;
    return o;
  }
  ScaledSteadyClock clock;
  sr::SimulatedRheometer instrument;
  sr::RheometerServer server;
  rheometer::RheometerClient client;
};

SweepSpec ramp_sweep(const std::string& name, double from_K, double to_K, int step_index) {
  schedules::DmaRampStep step;
  step.from_K = from_K;
  step.to_K = to_K;
  step.rate_K_per_min = 10;
  step.frequencies_Hz = {1, 10};
  step.strain_pct = 0.01;
  step.mode = schedules::DmaMode::torsion;
  step.delay_cycles = 1;
  step.acquisition_cycles = 3;
  return sweep_from_step(step, step_index, name);
}

/// Experiment time that moves only when the sweep runner sleeps to its next poll, so a night of
/// DMA takes seconds of wall time. Atomic: the simulator's server thread reads it.
class VirtualClock final : public Clock {
public:
  std::int64_t mono_ns() const override { return now_ns_.load(); }
  std::int64_t utc_ns_at(std::int64_t mono_ns) const override { return 1'700'000'000'000'000'000 + mono_ns; }
  void sleep_until_mono_ns(std::int64_t mono_ns) const override {
    std::int64_t now = now_ns_.load();
    while (now < mono_ns && !now_ns_.compare_exchange_weak(now, mono_ns)) {
    }
  }
  double speed() const override { return 1.0; }

private:
  mutable std::atomic<std::int64_t> now_ns_{0};
};

SweepOptions fast_polling() {
  SweepOptions o;
  o.poll_interval_s = 2.0;
  return o;
}

}  // namespace

TEST_CASE("a queue whose middle sweep fails: the others complete, the failure is recorded") {
  Lab lab(500.0);
  // Run 2 (the middle sweep) hits a drive overload at its 6th point.
  lab.instrument.schedule_fault({sr::FaultKind::instrument_error, 6, 0, 301, 2});
  VectorRecorder recorder;
  DmaQueueRunner queue(lab.client, lab.clock, recorder, fast_polling());
  const std::vector<SweepSpec> sweeps = {ramp_sweep("first", 300, 330, 0), ramp_sweep("middle", 330, 360, 1),
                                         ramp_sweep("last", 360, 390, 2)};
  const QueueSummary summary = queue.run(sweeps, {}, "test recorder");

  INFO(summary.text());
  REQUIRE(summary.sweeps.size() == 3);
  CHECK(summary.completed == 2);
  CHECK(summary.failed == 1);
  CHECK(summary.sweeps[0].status == SweepStatus::completed);
  CHECK(summary.sweeps[1].status == SweepStatus::failed);
  CHECK(summary.sweeps[1].failure_kind == "instrument_error");
  CHECK(summary.sweeps[1].reason.find("301 \"Drive overload\"") != std::string::npos);
  CHECK(summary.sweeps[1].points == 6);
  CHECK(summary.sweeps[2].status == SweepStatus::completed);
  CHECK(recorder.has_event("sweep_failed", "middle"));
  CHECK(recorder.has_event("queue_summary", "1 failed"));
  CHECK(summary.text().find("data: test recorder") != std::string::npos);

  for (const char* name : {"first", "last"}) {
    const auto points = recorder.points_of(name);
    REQUIRE(points.size() > 30);
    for (std::size_t i = 0; i < points.size(); ++i) CHECK(points[i].instrument_index == static_cast<std::int64_t>(i + 1));
    CHECK(points.front().mode == "torsion");
    CHECK(points.front().storage_modulus_Pa > 1e10);
    CHECK(points.back().t_utc_ns > points.front().t_utc_ns);
  }
  CHECK(recorder.points_of("last").front().T_K == doctest::Approx(360).epsilon(0.01));
  CHECK(recorder.points_of("last").front().step_index == 2);
  CHECK(summary.total_points == static_cast<std::int64_t>(recorder.points.size()));
  CHECK(lab.instrument.state_name() != "RUNNING");
}

TEST_CASE("a lost sample is detected by modulus collapse, the rheometer is left aborted") {
  Lab lab(500.0);
  lab.instrument.schedule_fault({sr::FaultKind::lose_sample, 10});
  VectorRecorder recorder;
  DmaSweepRunner runner(lab.client, lab.clock, recorder, fast_polling());
  const SweepOutcome outcome = runner.run(ramp_sweep("lost", 300, 400, 0));
  CHECK(outcome.status == SweepStatus::failed);
  CHECK(outcome.failure_kind == "sample_lost");
  CHECK(outcome.reason.find("storage modulus") != std::string::npos);
  CHECK(lab.instrument.state_name() == "ABORTED");
}

TEST_CASE("a connection that does not come back fails the sweep with its reason") {
  Lab lab(300.0);
  VectorRecorder recorder;
  recorder.on_point = [&](std::size_t n) {
    if (n == 8) lab.server.set_offline(true);
  };
  DmaSweepRunner runner(lab.client, lab.clock, recorder, fast_polling());
  const SweepOutcome outcome = runner.run(ramp_sweep("unplugged", 300, 400, 0));
  CHECK(outcome.status == SweepStatus::failed);
  CHECK(outcome.failure_kind == "connection_lost");
  CHECK(outcome.reason.find(lab.client.description()) != std::string::npos);
  CHECK(recorder.has_event("safe_state_failed", "could not ABORT"));
}

TEST_CASE("an isothermal step becomes STEPS with its soak, durations are estimated") {
  schedules::DmaIsothermalStep step;
  step.temperatures_K = {300, 320};
  step.frequencies_Hz = {1, 10};
  step.soak_s = 60;
  step.mode = schedules::DmaMode::bending;
  const SweepSpec spec = sweep_from_step(step, 4);
  CHECK(spec.configuration.geometry.shape == rheometer::Geometry::Shape::three_point_bending);
  CHECK(std::get<rheometer::TemperatureSteps>(spec.configuration.temperature).soak_s == 60);
  // Two soaks, two sweeps of (0.5 + 3/1) + (0.5 + 3/10) s, one 20 K travel at 20 K/min (the
  // default approach rate); from an oven at 250 K, 50 K more at 20 K/min before the first soak.
  CHECK(spec.configuration.approach_rate_K_per_min == 20);
  CHECK(expected_duration_s(spec.configuration, 300) == doctest::Approx(2 * 60 + 2 * 4.3 + 60));
  CHECK(expected_duration_s(spec.configuration, 250) == doctest::Approx(2 * 60 + 2 * 4.3 + 60 + 150));
  CHECK(spec.name.find("step 5 dma_isothermal bending") == 0);
  CHECK(service_sample_state("hpt_ln2_stored_ln2") == "HPT");
  CHECK(service_sample_state("as_cast") == "AS_CAST");
}

TEST_CASE("a schedule's sweeps carry its oven approach rate, a ramp's expected time counts the approach") {
  schedules::Schedule schedule;
  schedule.sample.name = "bar";
  schedule.sample.state = "as_cast";
  schedules::RheometerConfig rheometer;
  rheometer.approach_rate_K_per_min = 30;
  schedule.instruments.rheometer = rheometer;
  schedules::DmaRampStep ramp;
  ramp.from_K = 123.15;
  ramp.to_K = 873.15;
  ramp.rate_K_per_min = 6;
  ramp.frequencies_Hz = {1};
  ramp.delay_cycles = 1;
  ramp.acquisition_cycles = 1;
  schedules::Step step;
  step.label = "cold start";
  step.body = ramp;
  schedule.steps = {step};
  const auto sweeps = sweeps_from_schedule(schedule);
  REQUIRE(sweeps.size() == 1);
  CHECK(sweeps[0].configuration.approach_rate_K_per_min == 30);
  CHECK(sweeps[0].name == "step 1 cold start");
  CHECK(sweeps[0].sample_state == "as_cast");
  // After a sweep that ended at 873.15 K: 750 K down at 30 K/min, 750 K up at 6 K/min, one point.
  CHECK(expected_duration_s(sweeps[0].configuration, 873.15) == doctest::Approx(25 * 60 + 125 * 60 + 2.5));
  CHECK(expected_duration_s(sweeps[0].configuration, 123.15) == doctest::Approx(125 * 60 + 2.5));
}

TEST_CASE("the plan of the overnight DMA queue and the simulated DHR-3 agree on its time within 2 %") {
  // The real schedule, its plan (oven starting at room temperature, 295.15 K, as the simulator's),
  // and the real queue runner, driver and simulator in virtual time with the runner's own 5 s poll.
  const auto schedule =
      schedules::load_schedule_file(std::string(GLASSLAB_SOURCE_DIR) + "/schedules/paper/dma_overnight.toml");
  const schedules::Plan plan = schedules::make_plan(schedule);
  VirtualClock clock;
  sr::SimulatedRheometer instrument(clock, sr::SampleState::as_cast, 23);
  sr::RheometerServer server(instrument, {"127.0.0.1", 0});
  server.start_background();
  rheometer::ClientOptions options;
  options.port = server.port();
  rheometer::RheometerClient client(options);
  VectorRecorder recorder;
  DmaQueueRunner queue(client, clock, recorder);
  const QueueSummary summary = queue.run(sweeps_from_schedule(schedule));

  INFO(summary.text());
  REQUIRE(summary.all_completed());
  REQUIRE(summary.sweeps.size() == plan.steps.size());
  for (std::size_t i = 0; i < plan.steps.size(); ++i) {
    INFO("sweep " << i + 1 << ": planned " << plan.steps[i].duration_s << " s (approach " << plan.steps[i].approach_s
                  << " s), simulated " << summary.sweeps[i].duration_s << " s");
    CHECK(summary.sweeps[i].duration_s == doctest::Approx(plan.steps[i].duration_s).epsilon(0.02));
  }
  // 12 h planned; an oven that jumped to each sweep's start would make the night ~1.3 h (10 %) shorter.
  CHECK(plan.total_s == doctest::Approx(43244).epsilon(0.001));
  CHECK(summary.duration_s == doctest::Approx(plan.total_s).epsilon(0.02));
  // Sweep 2 starts where sweep 1 ended: 750 K of cooling at the schedule's 30 K/min, measuring nothing.
  CHECK(plan.steps[1].approach_s == doctest::Approx(1500));
  const auto second = recorder.points_of(summary.sweeps[1].name);
  REQUIRE_FALSE(second.empty());
  CHECK(second.front().T_K < 130);
}
