#pragma once
// The FT232H as seen from its USB cable, implemented on its own from the reference
// (/work/shared/reference/detector-trigger.md; MPSSE opcodes from FTDI AN_108), sharing no code
// with drivers/: it decodes vendor control transfers and MPSSE/bitbang bytes, tracks pin levels,
// turns edges of ADBUS0 into trigger pulses for the simulated detector, and reports ADBUS1
// high for a while after each frame start (the detector's /TRIG_OUT through a pulse stretcher).
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>

#include "core/clock.hpp"

namespace glasslab::sim::trigger {

/// libusb status codes the chip answers with (0 = success).
constexpr std::int32_t kUsbOk = 0;
constexpr std::int32_t kUsbErrorNoDevice = -4;
constexpr std::int32_t kUsbErrorPipe = -9;

struct UsbAnswer {
  std::int32_t status = kUsbOk;
  std::string data;
};

class FtdiChipModel {
public:
  /// Called with the leading edge time and the width of each ADBUS0 pulse; returns true when the
  /// detector started a frame (then ADBUS1 reads high for the stretch time).
  using PulseSink = std::function<bool(std::int64_t leading_edge_mono_ns, std::int64_t width_ns)>;
  /// Called on an FTDI RESET (the host arming the box): the detector is re-armed with it.
  using ResetSink = std::function<void()>;

  struct Options {
    std::int64_t mpsse_command_ns = 67;        ///< 4 cycles of the 60 MHz MPSSE clock per 0x80
    std::int64_t readback_stretch_ns = 5'000'000;  ///< the stretcher's monostable time (experiment ns)
  };

  FtdiChipModel(const Clock& clock, PulseSink pulse_sink, ResetSink reset_sink, Options options);

  UsbAnswer control(std::uint8_t request_type, std::uint8_t request, std::uint16_t value, std::uint16_t index,
                    std::uint16_t length, const std::string& out_data);
  UsbAnswer bulk_out(std::uint8_t endpoint, const std::string& bytes);
  UsbAnswer bulk_in(std::uint8_t endpoint, std::uint32_t max_bytes);

  /// The fault switch: from now on every transfer fails with LIBUSB_ERROR_NO_DEVICE.
  void unplug();
  bool unplugged() const;

  std::uint8_t mode() const;
  std::uint8_t latency_ms() const;
  int pulses_seen() const;
  std::uint8_t pin_levels();

private:
  void set_low_byte(std::uint8_t value, std::uint8_t direction, std::int64_t t_ns);
  void run_mpsse(const std::string& bytes, std::int64_t t_ns);
  void bitbang(const std::string& bytes, std::int64_t t_ns);
  std::uint8_t sample_pins_locked(std::int64_t t_ns);

  const Clock& clock_;
  PulseSink pulse_sink_;
  ResetSink reset_sink_;
  Options options_;
  mutable std::mutex mutex_;
  bool unplugged_ = false;
  std::uint8_t mode_ = 0x00;
  std::uint8_t latency_ms_ = 16;   // the chip's power-on default
  std::uint8_t low_value_ = 0, low_direction_ = 0;
  std::int64_t pulse_rise_ns_ = -1;
  std::int64_t last_frame_start_ns_ = -1;
  bool frame_start_unseen_ = false;
  int pulses_seen_ = 0;
  std::string to_host_;            // MPSSE answers waiting for a bulk IN
};

}  // namespace glasslab::sim::trigger
