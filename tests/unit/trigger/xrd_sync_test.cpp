// Frame synchronisation: T interpolation against a known ramp, file/trigger matching, and the
// runner on a ManualClock with a fake trigger box whose "detector" writes files.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <utility>

#include <fmt/format.h>
#include <unistd.h>

#include "acquisition/xrd/frame_matcher.hpp"
#include "acquisition/xrd/temperature_interpolation.hpp"
#include "acquisition/xrd/xrd_runner.hpp"
#include "core/clock.hpp"
#include "drivers/transport/byte_transport.hpp"

using namespace glasslab;
using namespace glasslab::acquisition;
using namespace glasslab::acquisition::xrd;
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kS = 1'000'000'000;
double ramp_T(std::int64_t t_ns) { return 93.15 + 10.0 / 60.0 * static_cast<double>(t_ns) * 1e-9; }  // 10 K/min

StageReading reading_at(std::int64_t t_ns) {
  StageReading r;
  r.t_mono_ns = t_ns;
  r.T_K = ramp_T(t_ns);
  return r;
}

ArrivedFile arrived(const char* name, std::int64_t seen_ns, bool readable = true, std::string problem = {}) {
  return {name, seen_ns, readable, std::move(problem)};
}

XrdConfig config_in(const fs::path& dir) {
  XrdConfig c;
  c.watch_dir = dir;
  return c;
}

std::deque<StageReading> ramp_readings(std::int64_t from_ns, std::int64_t to_ns, std::int64_t step_ns) {
  std::deque<StageReading> out;
  for (std::int64_t t = from_ns; t <= to_ns; t += step_ns) out.push_back(reading_at(t));
  return out;
}

struct VectorRecorder final : Recorder {
  std::vector<FrameRecord> frames;
  std::vector<Event> events;
  void record(const StageReading&) override {}
  void record(const Event& e) override { events.push_back(e); }
  void record(const FrameRecord& f) override { frames.push_back(f); }
  void record(const DmaPoint&) override {}
};

/// A trigger box whose detector writes a file at each pulse after the first (framewise).
struct FakeBoxWithDetector final : trigger::TriggerBox {
  ManualClock& clock;
  fs::path folder;
  int pulses = 0, fail_at_pulse = -1, skip_file_of_frame = -1;
  std::int64_t edge_delay_ns = 30'000;
  std::vector<trigger::TriggerEdge> edges;
  FakeBoxWithDetector(ManualClock& c, fs::path f) : clock(c), folder(std::move(f)) {}
  void arm() override { pulses = 0; }
  trigger::PulseReport pulse(std::chrono::microseconds) override {
    if (pulses == fail_at_pulse) throw transport::DisconnectedError("fake: device vanished (LIBUSB_ERROR_NO_DEVICE)");
    const std::int64_t t = clock.mono_ns();
    if (pulses >= 1 && pulses - 1 != skip_file_of_frame)
      std::ofstream(folder / fmt::format("frame_{:05d}.gr", pulses - 1)) << "data\n";
    edges.push_back({t + edge_delay_ns, 1000});
    ++pulses;
    return {t, t + 10'000};
  }
  void poll_readback() override {}
  std::vector<trigger::TriggerEdge> read_edges() override { return std::exchange(edges, {}); }
  void disarm() noexcept override {}
  std::string description() const override { return "fake box"; }
};

fs::path fresh_dir(const std::string& name) {
  const auto dir = fs::temp_directory_path() / fmt::format("glasslab-xrd-{}-{}", name, ::getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

/// Drives the runner like the engine: stage reading every 1 s, tick every 0.25 s.
void drive(XrdAcquisitionRunner& runner, ManualClock& clock, std::int64_t until_ns) {
  while (clock.mono_ns() < until_ns && (runner.active() || clock.mono_ns() < until_ns)) {
    if (clock.mono_ns() % kS == 0) runner.on_stage_reading(reading_at(clock.mono_ns()));
    runner.tick();
    clock.advance_s(0.25);
  }
}

}  // namespace

TEST_CASE("T at exposure start, middle and end follow a 10 K/min ramp exactly inside the stream") {
  const auto readings = ramp_readings(0, 100 * kS, 1 * kS);
  const std::int64_t start = 10 * kS + 300'000'000, end = start + 12 * kS;
  const auto T = frame_temperatures(readings, start, end, 5 * kS);
  REQUIRE(T.complete());
  CHECK_FALSE(T.any_extrapolated());
  CHECK(*T.start.T_K == doctest::Approx(ramp_T(start)).epsilon(1e-12));
  CHECK(*T.mid.T_K == doctest::Approx(ramp_T(start + 6 * kS)).epsilon(1e-12));
  CHECK(*T.end.T_K == doctest::Approx(ramp_T(end)).epsilon(1e-12));
  CHECK(*T.end.T_K - *T.start.T_K == doctest::Approx(2.0));  // a 12 s frame spans 2 K at 10 K/min
}

TEST_CASE("outside the stream T is extrapolated and flagged, and beyond the limit it is unknown") {
  const auto readings = ramp_readings(0, 10 * kS, 1 * kS);
  const auto ahead = interpolate_T(readings, 12 * kS, 5 * kS);
  REQUIRE(ahead.T_K);
  CHECK(ahead.extrapolated);
  CHECK(*ahead.T_K == doctest::Approx(ramp_T(12 * kS)));
  CHECK_FALSE(interpolate_T(readings, 16 * kS, 5 * kS).T_K);
  CHECK_FALSE(interpolate_T({}, 1 * kS, 5 * kS).T_K);
  FrameTemperatures partial{interpolate_T(readings, 9 * kS, 5 * kS), ahead, interpolate_T(readings, 20 * kS, 5 * kS)};
  CHECK(partial.note(5) == "T_mid extrapolated; T_end unknown (no stage reading within 5 s)");
}

TEST_CASE("matcher: in time ok, after tolerance late, never missed, early file unmatched, empty unreadable") {
  FrameMatcher m({.tolerance_ns = 2 * kS, .late_ns = 10 * kS, .early_ns = kS / 2});
  m.expect({0, 0, 0, 12 * kS, "readback", 1});
  m.expect({1, 12 * kS, 12 * kS, 24 * kS, "readback", 1});
  m.expect({2, 24 * kS, 24 * kS, 36 * kS, "readback", 1});
  m.file_arrived(arrived("a.gr", 5 * kS));          // before any exposure ended
  m.file_arrived(arrived("f0.gr", 12 * kS + kS / 10));
  m.file_arrived(arrived("f1.gr", 27 * kS));        // 3 s after its end: late
  m.file_arrived(arrived("f2.gr", 36 * kS + kS, false, "file is empty"));
  auto r = m.take_results();
  REQUIRE(r.size() == 4);
  CHECK(r[0].status == "unmatched_file");
  CHECK(r[1].status == "ok");
  CHECK(r[1].frame->index == 0);
  CHECK(r[2].status == "late");
  CHECK(r[2].frame->index == 1);
  CHECK(r[3].status == "unreadable");
  CHECK(r[3].reason == "file is empty");

  m.expect({3, 36 * kS, 36 * kS, 48 * kS, "commanded", 1});
  m.expect({4, 48 * kS, 48 * kS, 60 * kS, "commanded", 1});
  m.file_arrived(arrived("f4.gr", 60 * kS + kS / 10));  // frame 3's file never came; by time this is frame 4's
  m.expire(200 * kS);
  r = m.take_results();
  REQUIRE(r.size() == 2);
  CHECK(r[0].status == "missed");
  CHECK(r[0].frame->index == 3);
  CHECK(r[1].status == "ok");
  CHECK(r[1].frame->index == 4);
}

TEST_CASE("runner: N frames take N+1 pulses, rows carry read-back starts, files and ramp temperatures") {
  const auto dir = fresh_dir("runner");
  ManualClock clock(0);
  FakeBoxWithDetector box(clock, dir);
  VectorRecorder recorder;
  XrdAcquisitionRunner runner(box, clock, recorder, config_in(dir));
  runner.start({.step_index = 2, .frame_count = 5});
  drive(runner, clock, 120 * kS);
  CHECK(box.pulses == 6);
  CHECK_FALSE(runner.active());
  REQUIRE(recorder.frames.size() == 5);
  for (int i = 0; i < 5; ++i) {
    const auto& f = recorder.frames[static_cast<std::size_t>(i)];
    CHECK(f.index == i);
    CHECK(f.status == "ok");
    CHECK(f.start_source == "readback");
    CHECK(f.step_index == 2);
    CHECK(f.t_start_mono_ns == i * 12 * kS + box.edge_delay_ns);
    CHECK(f.t_end_mono_ns == (i + 1) * 12 * kS + box.edge_delay_ns);
    CHECK(fs::path(f.file).filename() == fmt::format("frame_{:05d}.gr", i));
    REQUIRE(f.T_mid_K);
    CHECK(*f.T_mid_K == doctest::Approx(ramp_T(f.t_start_mono_ns + 6 * kS)).epsilon(1e-9));
    CHECK(*f.T_end_K - *f.T_start_K == doctest::Approx(2.0).epsilon(1e-6));
  }
  fs::remove_all(dir);
}

TEST_CASE("runner: a frame whose file never comes is a 'missed' row, not a gap") {
  const auto dir = fresh_dir("missed");
  ManualClock clock(0);
  FakeBoxWithDetector box(clock, dir);
  box.skip_file_of_frame = 1;
  VectorRecorder recorder;
  XrdAcquisitionRunner runner(box, clock, recorder, config_in(dir));
  runner.start({.step_index = 0, .frame_count = 3});
  drive(runner, clock, 80 * kS);
  REQUIRE(recorder.frames.size() == 3);
  CHECK(recorder.frames[1].status == "missed");
  CHECK(recorder.frames[1].file.empty());
  CHECK(recorder.frames[1].T_mid_K);  // the temperatures are still known
  CHECK(recorder.frames[0].status == "ok");
  CHECK(recorder.frames[2].status == "ok");
  fs::remove_all(dir);
}

TEST_CASE("runner: the trigger box vanishing mid-run stops acquiring, says so, keeps the frames taken") {
  const auto dir = fresh_dir("vanish");
  ManualClock clock(0);
  FakeBoxWithDetector box(clock, dir);
  box.fail_at_pulse = 4;  // pulses 0..3 go out: frames 0..2 complete, frame 3 is cut short
  VectorRecorder recorder;
  XrdAcquisitionRunner runner(box, clock, recorder, config_in(dir));
  runner.start({.step_index = 0, .frame_count = 10});
  drive(runner, clock, 100 * kS);
  CHECK(runner.failed());
  CHECK(runner.failure().find("LIBUSB_ERROR_NO_DEVICE") != std::string::npos);
  CHECK_FALSE(runner.active());
  runner.stop();
  REQUIRE(recorder.frames.size() == 4);
  for (int i = 0; i < 3; ++i) CHECK(recorder.frames[static_cast<std::size_t>(i)].status == "ok");
  CHECK(recorder.frames[3].status == "missed");
  CHECK(recorder.frames[3].reason.find("trigger box lost") != std::string::npos);
  bool said_so = false;
  for (const auto& e : recorder.events) said_so |= e.kind == "trigger_lost" && e.level == EventLevel::error;
  CHECK(said_so);
  fs::remove_all(dir);
}

TEST_CASE("runner refuses an exposure different from the period in framewise mode") {
  ManualClock clock;
  FakeBoxWithDetector box(clock, "/tmp");
  VectorRecorder recorder;
  auto config = config_in("/tmp");
  config.exposure_s = 10;
  CHECK_THROWS_AS(XrdAcquisitionRunner(box, clock, recorder, config), UsageError);
}
