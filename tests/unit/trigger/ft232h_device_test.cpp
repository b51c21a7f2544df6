// The FT232H driver through the UsbTransport seam: exact transfers, read-back edges, pacing on a
// ManualClock, and the box vanishing mid-train.
#include <doctest/doctest.h>

#include "core/clock.hpp"
#include "drivers/trigger/ft232h_trigger.hpp"
#include "drivers/trigger/pulse_train.hpp"
#include "recording_usb.hpp"

using namespace glasslab;
using namespace glasslab::trigger;
using glasslab::test::bytes_of;
using glasslab::test::RecordedTransfer;
using glasslab::test::RecordingUsb;

TEST_CASE("arm sends the reference control transfers in order, then syncs MPSSE and sets the pins") {
  RecordingUsb usb;
  ManualClock clock;
  Ft232hTriggerBox box(usb, clock, {.latency_ms = 1});
  box.arm();
  const auto controls = usb.of_kind(RecordedTransfer::control);
  REQUIRE(controls.size() == 6);
  const std::uint16_t expected_values[] = {0x0000, 0x0001, 0x0002, 0x0001, 0x0000, 0x0200};
  const std::uint8_t expected_requests[] = {0x00, 0x00, 0x00, 0x09, 0x0B, 0x0B};
  for (std::size_t i = 0; i < 6; ++i) {
    CHECK(controls[i].request_type == 0x40);
    CHECK(controls[i].request == expected_requests[i]);
    CHECK(controls[i].value == expected_values[i]);
    CHECK(controls[i].index == 0x0001);
  }
  const auto writes = usb.of_kind(RecordedTransfer::bulk_out);
  REQUIRE(writes.size() == 3);
  for (const auto& w : writes) CHECK(w.endpoint == 0x02);
  CHECK(writes[0].bytes == bytes_of({0xAA}));
  CHECK(writes[1].bytes == bytes_of({0x8A, 0x97, 0x8D, 0x85, 0x80, 0x00, 0x01}));
  CHECK(writes[2].bytes == bytes_of({0x81, 0x87}));
  for (const auto& r : usb.of_kind(RecordedTransfer::bulk_in)) CHECK(r.endpoint == 0x81);
  CHECK(box.armed());
}

TEST_CASE("a pulse is one bulk write on EP 0x02 ending with ADBUS0 low, narrower than 20 us is refused") {
  RecordingUsb usb;
  ManualClock clock;
  Ft232hTriggerBox box(usb, clock, {.set_command_floor = std::chrono::nanoseconds(100), .readback_polls_after_pulse = 0});
  CHECK_THROWS_AS(box.pulse(std::chrono::microseconds(20)), DeviceError);  // not armed
  box.arm();
  usb.log.clear();
  box.pulse(std::chrono::microseconds(25));
  const auto writes = usb.of_kind(RecordedTransfer::bulk_out);
  REQUIRE(writes.size() == 1);
  CHECK(writes[0].bytes.size() == 3 * 251);
  CHECK(writes[0].bytes.substr(0, 3) == bytes_of({0x80, 0x01, 0x01}));
  CHECK(writes[0].bytes.substr(writes[0].bytes.size() - 3) == bytes_of({0x80, 0x00, 0x01}));
  CHECK_THROWS_AS(box.pulse(std::chrono::microseconds(19)), UsageError);
}

TEST_CASE("the read-back edge after a pulse is stamped between the pulse command and the sample") {
  RecordingUsb usb;
  usb.readback_after_pulses = 1;
  ManualClock clock(1'000'000'000);
  Ft232hTriggerBox box(usb, clock);
  box.arm();
  clock.advance_s(5.0);
  const auto report = box.pulse(std::chrono::microseconds(20));
  const auto edges = box.read_edges();
  REQUIRE(edges.size() == 1);
  CHECK(edges[0].mono_ns >= report.commanded_mono_ns);
  CHECK(edges[0].mono_ns <= clock.mono_ns());
  CHECK(box.read_edges().empty());  // drained
  // A read-back that stays low produces no edge.
  usb.readback_after_pulses = 0;
  box.pulse(std::chrono::microseconds(20));
  CHECK(box.read_edges().empty());
}

TEST_CASE("a garbled MPSSE sync answer is a protocol error naming the bytes") {
  struct Garbling : transport::UsbTransport {
    std::size_t control_transfer(std::uint8_t, std::uint8_t, std::uint16_t, std::uint16_t, std::span<std::uint8_t> d,
                                 std::chrono::milliseconds) override { return d.size(); }
    void bulk_write(std::uint8_t, std::string_view, std::chrono::milliseconds) override {}
    std::string bulk_read(std::uint8_t, std::size_t, std::chrono::milliseconds) override {
      return bytes_of({0x32, 0x60, 0x12, 0x34});
    }
    std::string description() const override { return "garbling"; }
  } usb;
  ManualClock clock;
  Ft232hTriggerBox box(usb, clock);
  CHECK_THROWS_WITH_AS(box.arm(), doctest::Contains("12 34"), ProtocolError);
}

TEST_CASE("a train on a ManualClock fires at start + i * period without sleeping") {
  RecordingUsb usb;
  ManualClock clock(0);
  Ft232hTriggerBox box(usb, clock, {.readback_polls_after_pulse = 0});
  box.arm();
  TrainSpec spec{.start_mono_ns = 2'000'000'000, .period_ns = 12'000'000'000, .count = 5};
  std::vector<TrainPulse> pulses;
  run_pulse_train(box, clock, spec, pulses);
  REQUIRE(pulses.size() == 5);
  for (int i = 0; i < 5; ++i) {
    CHECK(pulses[i].index == i);
    CHECK(pulses[i].scheduled_mono_ns == 2'000'000'000 + i * 12'000'000'000LL);
    CHECK(pulses[i].report.commanded_mono_ns == pulses[i].scheduled_mono_ns);
  }
  CHECK(clock.mono_ns() == 50'000'000'000LL);
}

TEST_CASE("a late start does not shift the later deadlines (absolute, not accumulated)") {
  RecordingUsb usb;
  ManualClock clock(0);
  Ft232hTriggerBox box(usb, clock, {.readback_polls_after_pulse = 0});
  box.arm();
  clock.advance_s(1.5);  // we are already 1.5 s past pulse 0's deadline
  TrainSpec spec{.start_mono_ns = 0, .period_ns = 1'000'000'000, .count = 4};
  std::vector<TrainPulse> pulses;
  run_pulse_train(box, clock, spec, pulses);
  REQUIRE(pulses.size() == 4);
  CHECK(pulses[0].report.commanded_mono_ns == 1'500'000'000);  // late, sent at once
  CHECK(pulses[1].report.commanded_mono_ns == 1'500'000'000);  // its deadline also passed
  CHECK(pulses[2].report.commanded_mono_ns == 2'000'000'000);
  CHECK(pulses[3].report.commanded_mono_ns == 3'000'000'000);
}

TEST_CASE("the box vanishing mid-train raises DisconnectedError and keeps the pulses already sent") {
  RecordingUsb usb;
  ManualClock clock(0);
  Ft232hTriggerBox box(usb, clock, {.readback_polls_after_pulse = 0});
  box.arm();                        // 3 bulk writes
  usb.fail_after_bulk_writes = 3 + 4;  // 4 pulses go out, the 5th finds the device gone
  TrainSpec spec{.start_mono_ns = 0, .period_ns = 1'000'000'000, .count = 10};
  std::vector<TrainPulse> pulses;
  CHECK_THROWS_AS(run_pulse_train(box, clock, spec, pulses), transport::DisconnectedError);
  CHECK(pulses.size() == 4);
  box.disarm();  // must not throw although the device is gone
  CHECK_FALSE(box.armed());
}
