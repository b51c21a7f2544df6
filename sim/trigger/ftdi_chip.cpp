#include "sim/trigger/ftdi_chip.hpp"

namespace glasslab::sim::trigger {

namespace {
// Numbers from the reference (libftdi's ftdi.h) and AN_108, written out here on purpose:
// the simulator must not share constants with the driver it checks.
constexpr std::uint8_t kVendorOut = 0x40, kVendorIn = 0xC0;
constexpr std::uint8_t kSioReset = 0x00, kSioSetBaud = 0x03, kSioSetLatency = 0x09, kSioSetBitmode = 0x0B,
                       kSioReadPins = 0x0C;
constexpr std::uint8_t kModeReset = 0x00, kModeBitbang = 0x01, kModeMpsse = 0x02, kModeSyncBitbang = 0x04;
constexpr std::uint8_t kEpOut = 0x02, kEpIn = 0x81;
// Modem status the FT232H sends in front of every IN packet (CTS|DSR, THRE|TEMT).
constexpr char kModemStatus0 = 0x32, kModemStatus1 = 0x60;
constexpr std::uint8_t kTriggerPin = 0x01, kReadbackPin = 0x02;
}  // namespace

FtdiChipModel::FtdiChipModel(const Clock& clock, PulseSink pulse_sink, ResetSink reset_sink, Options options)
    : clock_(clock), pulse_sink_(std::move(pulse_sink)), reset_sink_(std::move(reset_sink)), options_(options) {}

void FtdiChipModel::unplug() {
  std::lock_guard lock(mutex_);
  unplugged_ = true;
}
bool FtdiChipModel::unplugged() const {
  std::lock_guard lock(mutex_);
  return unplugged_;
}
std::uint8_t FtdiChipModel::mode() const {
  std::lock_guard lock(mutex_);
  return mode_;
}
std::uint8_t FtdiChipModel::latency_ms() const {
  std::lock_guard lock(mutex_);
  return latency_ms_;
}
int FtdiChipModel::pulses_seen() const {
  std::lock_guard lock(mutex_);
  return pulses_seen_;
}
std::uint8_t FtdiChipModel::pin_levels() {
  std::lock_guard lock(mutex_);
  return sample_pins_locked(clock_.mono_ns());
}

std::uint8_t FtdiChipModel::sample_pins_locked(std::int64_t t_ns) {
  std::uint8_t level = low_value_ & low_direction_;  // outputs read back what they drive
  // The stretcher holds ADBUS1 high for its monostable time after a frame start. Because a fast
  // dry run compresses that time below one USB round trip, the model also keeps it high until
  // one read has seen it (a concession to time scaling, docs/trigger-box.md).
  if (last_frame_start_ns_ >= 0 && !(low_direction_ & kReadbackPin)) {
    const bool in_stretch = t_ns - last_frame_start_ns_ < options_.readback_stretch_ns;
    if (in_stretch || frame_start_unseen_) level |= kReadbackPin;
    frame_start_unseen_ = false;
  }
  return level;
}

UsbAnswer FtdiChipModel::control(std::uint8_t request_type, std::uint8_t request, std::uint16_t value,
                                 std::uint16_t index, std::uint16_t length, const std::string&) {
  std::unique_lock lock(mutex_);
  if (unplugged_) return {kUsbErrorNoDevice, {}};
  if (index != 1 && index != 0) return {kUsbErrorPipe, {}};  // FT232H has interface A only
  if (request_type == kVendorOut) {
    switch (request) {
      case kSioReset:
        if (value == 0) {  // full reset: back to the serial UART, buffers emptied
          mode_ = kModeReset;
          to_host_.clear();
          lock.unlock();
          if (reset_sink_) reset_sink_();
        } else if (value == 1 || value == 2) {
          to_host_.clear();  // purge RX (chip -> host) or TX: nothing of ours queued host-bound otherwise
        } else {
          return {kUsbErrorPipe, {}};
        }
        return {};
      case kSioSetBaud: return {};
      case kSioSetLatency:
        if (value < 1 || value > 255) return {kUsbErrorPipe, {}};
        latency_ms_ = static_cast<std::uint8_t>(value);
        return {};
      case kSioSetBitmode: {
        const auto mode = static_cast<std::uint8_t>(value >> 8);
        if (mode != kModeReset && mode != kModeBitbang && mode != kModeMpsse && mode != kModeSyncBitbang)
          return {kUsbErrorPipe, {}};
        mode_ = mode;
        if (mode == kModeBitbang || mode == kModeSyncBitbang) low_direction_ = static_cast<std::uint8_t>(value & 0xFF);
        if (mode == kModeReset) low_direction_ = 0;
        return {};
      }
      default: return {kUsbErrorPipe, {}};
    }
  }
  if (request_type == kVendorIn && request == kSioReadPins && length >= 1)
    return {kUsbOk, std::string(1, static_cast<char>(sample_pins_locked(clock_.mono_ns())))};
  return {kUsbErrorPipe, {}};
}

void FtdiChipModel::set_low_byte(std::uint8_t value, std::uint8_t direction, std::int64_t t_ns) {
  const bool was_high = (low_value_ & low_direction_ & kTriggerPin) != 0;
  low_value_ = value;
  low_direction_ = direction;
  const bool is_high = (low_value_ & low_direction_ & kTriggerPin) != 0;
  if (is_high && !was_high) pulse_rise_ns_ = t_ns;
  if (!is_high && was_high && pulse_rise_ns_ >= 0) {
    ++pulses_seen_;
    const std::int64_t rise = pulse_rise_ns_;
    pulse_rise_ns_ = -1;
    if (pulse_sink_ && pulse_sink_(rise, t_ns - rise)) {
      last_frame_start_ns_ = rise;
      frame_start_unseen_ = true;
    }
  }
}

void FtdiChipModel::run_mpsse(const std::string& bytes, std::int64_t t_ns) {
  // Commands execute back to back; each advances the chip's own time by one command time, which
  // is what gives a train of repeated 0x80 commands its width.
  std::int64_t t = t_ns;
  auto byte_at = [&](std::size_t i) { return static_cast<std::uint8_t>(bytes[i]); };
  for (std::size_t i = 0; i < bytes.size();) {
    const std::uint8_t op = byte_at(i);
    switch (op) {
      case 0x80:
      case 0x82:
        if (i + 2 >= bytes.size()) return;  // incomplete command: the real chip would wait; hosts send whole ones
        if (op == 0x80) set_low_byte(byte_at(i + 1), byte_at(i + 2), t);
        i += 3;
        break;
      case 0x81: to_host_.push_back(static_cast<char>(sample_pins_locked(t))); i += 1; break;
      case 0x83: to_host_.push_back(static_cast<char>(0x00)); i += 1; break;  // ACBUS: nothing wired
      case 0x84: case 0x85: case 0x87: case 0x8A: case 0x8B: case 0x8C: case 0x8D: case 0x96: case 0x97:
        i += 1;
        break;
      case 0x86: i += 3; break;  // clock divisor, 2 argument bytes
      default:
        // AN_108: an opcode the MPSSE does not know is answered 0xFA followed by the opcode.
        to_host_.push_back(static_cast<char>(0xFA));
        to_host_.push_back(static_cast<char>(op));
        i += 1;
        break;
    }
    t += options_.mpsse_command_ns;
  }
}

void FtdiChipModel::bitbang(const std::string& bytes, std::int64_t t_ns) {
  // Each byte drives ADBUS0..7 for one bit-clock period (the baud generator; modelled as 1 us).
  std::int64_t t = t_ns;
  for (char b : bytes) {
    set_low_byte(static_cast<std::uint8_t>(b), low_direction_, t);
    t += 1000;
  }
}

UsbAnswer FtdiChipModel::bulk_out(std::uint8_t endpoint, const std::string& bytes) {
  std::lock_guard lock(mutex_);
  if (unplugged_) return {kUsbErrorNoDevice, {}};
  if (endpoint != kEpOut) return {kUsbErrorPipe, {}};
  const std::int64_t t = clock_.mono_ns();
  if (mode_ == kModeMpsse) run_mpsse(bytes, t);
  else if (mode_ == kModeBitbang || mode_ == kModeSyncBitbang) bitbang(bytes, t);
  // In UART mode (reset) the bytes would leave on TXD: nothing is wired there.
  return {};
}

UsbAnswer FtdiChipModel::bulk_in(std::uint8_t endpoint, std::uint32_t max_bytes) {
  std::lock_guard lock(mutex_);
  if (unplugged_) return {kUsbErrorNoDevice, {}};
  if (endpoint != kEpIn) return {kUsbErrorPipe, {}};
  // One packet: 2 modem-status bytes, then whatever is waiting (up to the 512-byte packet).
  UsbAnswer answer;
  answer.data = {kModemStatus0, kModemStatus1};
  const std::size_t room = std::min<std::size_t>(max_bytes, 512) > 2 ? std::min<std::size_t>(max_bytes, 512) - 2 : 0;
  const std::size_t n = std::min(room, to_host_.size());
  answer.data += to_host_.substr(0, n);
  to_host_.erase(0, n);
  return answer;
}

}  // namespace glasslab::sim::trigger
