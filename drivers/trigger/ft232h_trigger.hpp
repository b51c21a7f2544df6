#pragma once
// The FT232H trigger box in MPSSE mode (docs/trigger-box.md): ADBUS0 drives the detector's
// trigger input through a TTL-to-LVDS driver; ADBUS1 reads back the detector's /TRIG_OUT
// (through an LVDS receiver and a pulse stretcher) to stamp real exposure starts.
// Talks to a UsbTransport, so the same code drives real hardware (LibusbDevice) and the
// simulator (SocketUsbTransport), and tests can record the exact transfers.
#include <chrono>
#include <memory>
#include <optional>

#include "core/clock.hpp"
#include "drivers/transport/usb_device.hpp"
#include "drivers/trigger/ft232h_protocol.hpp"
#include "drivers/trigger/trigger_box.hpp"

namespace glasslab::trigger {

class Ft232hTriggerBox final : public TriggerBox {
public:
  struct Options {
    std::uint8_t latency_ms = 1;  ///< SET_LATENCY_TIMER: how long the chip holds a short IN packet
    /// Assumed floor of one MPSSE 0x80 command's execution time, which sets how many repeats
    /// make a pulse of the requested width (docs/trigger-box.md, "Pulse width"). Measure with a
    /// scope and lower this if pulses come out too long; never raise it above the true value.
    std::chrono::nanoseconds set_command_floor{50};
    std::chrono::milliseconds transfer_timeout{500};
    int readback_polls_after_pulse = 3;  ///< pin reads right after a pulse to catch the frame start
  };

  Ft232hTriggerBox(transport::UsbTransport& usb, const Clock& clock, Options options);
  Ft232hTriggerBox(transport::UsbTransport& usb, const Clock& clock) : Ft232hTriggerBox(usb, clock, Options{}) {}
  ~Ft232hTriggerBox() override;

  void arm() override;
  PulseReport pulse(std::chrono::microseconds width) override;
  void poll_readback() override;
  std::vector<TriggerEdge> read_edges() override;
  void disarm() noexcept override;
  std::string description() const override;

  /// One MPSSE 0x81 read of ADBUS (levels of all 8 low pins).
  std::uint8_t read_pins();
  bool armed() const { return armed_; }

private:
  void control_out(const ft232h::ControlRequest& request);
  /// Reads bulk IN packets until `wanted` payload bytes (modem status stripped) arrived.
  std::string read_payload(std::size_t wanted, const char* what);
  void synchronise_mpsse();

  transport::UsbTransport& usb_;
  const Clock& clock_;
  Options options_;
  bool armed_ = false;
  bool readback_level_ = false;
  std::int64_t last_sample_mono_ns_ = 0;
  std::int64_t last_pulse_mono_ns_ = 0;
  std::vector<TriggerEdge> edges_;
};

/// Opens the transport named by a connection string and wraps it; options from the query part:
/// `latency_ms`, `command_ns` (e.g. usb:0403:6014?serial=FT12345&command_ns=50).
struct OwnedFt232hBox {
  std::unique_ptr<transport::UsbTransport> usb;
  std::unique_ptr<Ft232hTriggerBox> box;
};
OwnedFt232hBox open_ft232h_trigger_box(const std::string& connection, const Clock& clock);

}  // namespace glasslab::trigger
