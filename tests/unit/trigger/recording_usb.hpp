#pragma once
// A UsbTransport that records every transfer and answers like an FT232H in MPSSE mode would at
// the byte level (modem status 0x32 0x60 before every IN payload), for tests of the driver.
#include <deque>
#include <string>
#include <vector>

#include "drivers/transport/usb_device.hpp"

namespace glasslab::test {

struct RecordedTransfer {
  enum Kind { control, bulk_out, bulk_in } kind;
  std::uint8_t request_type = 0, request = 0;
  std::uint16_t value = 0, index = 0;
  std::uint8_t endpoint = 0;
  std::string bytes;
};

class RecordingUsb final : public transport::UsbTransport {
public:
  std::vector<RecordedTransfer> log;
  std::uint8_t pins = 0x00;       ///< what 0x81 reads report
  int readback_after_pulses = 0;  ///< when >0, ADBUS1 reads high once after each pulse
  int fail_after_bulk_writes = -1;  ///< simulate an unplug: NO_DEVICE after this many writes
  int empty_reads_before_answer = 1;  ///< status-only packets before an answer (latency timer)

  std::size_t control_transfer(std::uint8_t rt, std::uint8_t rq, std::uint16_t v, std::uint16_t i,
                               std::span<std::uint8_t> data, std::chrono::milliseconds) override {
    check_plugged();
    log.push_back({RecordedTransfer::control, rt, rq, v, i, 0, std::string(reinterpret_cast<char*>(data.data()), data.size())});
    return data.size();
  }
  void bulk_write(std::uint8_t ep, std::string_view bytes, std::chrono::milliseconds) override {
    check_plugged();
    ++writes_;
    log.push_back({RecordedTransfer::bulk_out, 0, 0, 0, 0, ep, std::string(bytes)});
    for (std::size_t k = 0; k < bytes.size();) {
      const auto op = static_cast<std::uint8_t>(bytes[k]);
      if (op == 0x80) {
        if (static_cast<std::uint8_t>(bytes[k + 1]) & 0x01) pulse_high_ = true;
        k += 3;
      } else if (op == 0x81) {
        std::uint8_t level = pins;
        if (pulse_high_ && readback_after_pulses > 0) level |= 0x02;
        pulse_high_ = false;
        pending_.push_back(std::string(1, static_cast<char>(level)));
        k += 1;
      } else if (op == 0x87 || op == 0x8A || op == 0x97 || op == 0x8D || op == 0x85) {
        k += 1;
      } else {  // AN_108: invalid opcode answered with FA <opcode>
        pending_.push_back(std::string{static_cast<char>(0xFA), static_cast<char>(op)});
        k += 1;
      }
    }
  }
  std::string bulk_read(std::uint8_t ep, std::size_t, std::chrono::milliseconds) override {
    check_plugged();
    std::string out{static_cast<char>(0x32), static_cast<char>(0x60)};
    if (!pending_.empty() && empty_reads_left_-- <= 0) {
      out += pending_.front();
      pending_.pop_front();
      empty_reads_left_ = empty_reads_before_answer;
    }
    log.push_back({RecordedTransfer::bulk_in, 0, 0, 0, 0, ep, out});
    return out;
  }
  std::string description() const override { return "recording-usb"; }

  std::vector<RecordedTransfer> of_kind(RecordedTransfer::Kind kind) const {
    std::vector<RecordedTransfer> out;
    for (const auto& t : log)
      if (t.kind == kind) out.push_back(t);
    return out;
  }

private:
  void check_plugged() {
    if (fail_after_bulk_writes >= 0 && writes_ >= fail_after_bulk_writes)
      throw transport::DisconnectedError("recording-usb: device vanished (LIBUSB_ERROR_NO_DEVICE)");
  }
  std::deque<std::string> pending_;
  bool pulse_high_ = false;
  int writes_ = 0;
  int empty_reads_left_ = 1;
};

inline std::string bytes_of(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

}  // namespace glasslab::test
