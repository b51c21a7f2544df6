#include "drivers/trigger/ft232h_trigger.hpp"

#include <fmt/format.h>

namespace glasslab::trigger {

using namespace ft232h;

Ft232hTriggerBox::Ft232hTriggerBox(transport::UsbTransport& usb, const Clock& clock, Options options)
    : usb_(usb), clock_(clock), options_(options) {}

Ft232hTriggerBox::~Ft232hTriggerBox() { disarm(); }

std::string Ft232hTriggerBox::description() const { return "ft232h trigger box on " + usb_.description(); }

void Ft232hTriggerBox::control_out(const ControlRequest& request) {
  usb_.control_transfer(request.request_type, request.request, request.value, request.index, {}, options_.transfer_timeout);
}

std::string Ft232hTriggerBox::read_payload(std::size_t wanted, const char* what) {
  // The chip sends 2 modem-status bytes every latency period even with nothing to say, so an
  // empty payload is normal: keep reading until the answer arrives or the deadline passes.
  const auto deadline = std::chrono::steady_clock::now() + options_.transfer_timeout;
  std::string payload;
  while (payload.size() < wanted) {
    const std::string raw = usb_.bulk_read(kEndpointIn, kHighSpeedPacketBytes, options_.transfer_timeout);
    payload += strip_modem_status(raw);
    if (payload.size() >= wanted) break;
    if (std::chrono::steady_clock::now() > deadline)
      throw DeviceError(fmt::format("{}: no answer to {} within {} ms ({} of {} bytes)", description(), what,
                                    options_.transfer_timeout.count(), payload.size(), wanted));
  }
  return payload;
}

void Ft232hTriggerBox::synchronise_mpsse() {
  // AN_108: an invalid opcode is answered with 0xFA and the opcode; seeing that answer proves the
  // MPSSE command processor is running and that the IN stream is aligned with our commands.
  usb_.bulk_write(kEndpointOut, mpsse_sync_probe(), options_.transfer_timeout);
  const std::string reply = read_payload(2, "the MPSSE synchronisation probe 0xAA");
  if (!is_mpsse_sync_reply(reply))
  {
    std::string hex;
    for (char c : reply) hex += fmt::format(" {:02x}", static_cast<std::uint8_t>(c));
    throw ProtocolError(fmt::format("{}: MPSSE did not answer the bad-command probe 0xAA with FA AA (got {} bytes:{})",
                                    description(), reply.size(), hex));
  }
}

void Ft232hTriggerBox::arm() {
  for (const auto& request : mpsse_setup_requests(options_.latency_ms)) control_out(request);
  synchronise_mpsse();
  usb_.bulk_write(kEndpointOut, mpsse_configure_pins(), options_.transfer_timeout);
  edges_.clear();
  readback_level_ = (read_pins() & kPinReadback) != 0;
  armed_ = true;
}

PulseReport Ft232hTriggerBox::pulse(std::chrono::microseconds width) {
  if (!armed_) throw DeviceError(fmt::format("{}: pulse requested before arm()", description()));
  if (width < std::chrono::microseconds(20))
    throw UsageError(fmt::format("{}: trigger pulse width {} us is below the detector's 20 us minimum", description(),
                                 width.count()));
  PulseReport report;
  report.commanded_mono_ns = clock_.mono_ns();
  last_pulse_mono_ns_ = report.commanded_mono_ns;
  usb_.bulk_write(kEndpointOut, pulse_bytes(width, options_.set_command_floor), options_.transfer_timeout);
  report.sent_mono_ns = clock_.mono_ns();
  // The detector raises /TRIG_OUT at the frame start that follows the trigger; look for it now
  // so the exposure start is stamped from the read-back, not from the host's send time.
  const std::size_t edges_before = edges_.size();
  for (int i = 0; i < options_.readback_polls_after_pulse && edges_.size() == edges_before; ++i) poll_readback();
  return report;
}

std::uint8_t Ft232hTriggerBox::read_pins() {
  usb_.bulk_write(kEndpointOut, read_low_byte_command(), options_.transfer_timeout);
  return static_cast<std::uint8_t>(read_payload(1, "the pin read 0x81").front());
}

void Ft232hTriggerBox::poll_readback() {
  const std::int64_t before_ns = clock_.mono_ns();
  const bool level = (read_pins() & kPinReadback) != 0;
  const std::int64_t after_ns = clock_.mono_ns();
  const std::int64_t sample_ns = before_ns + (after_ns - before_ns) / 2;
  // A high level is a new frame start when the previous sample was low, or when it is the first
  // sample after a pulse (the stretched read-back of the previous frame has long ended by then:
  // the stretcher time must be shorter than the frame period, docs/trigger-box.md).
  const bool first_sample_after_pulse = last_sample_mono_ns_ < last_pulse_mono_ns_;
  if (level && (!readback_level_ || first_sample_after_pulse)) {
    // The edge lies after the previous low sample and after the last pulse command (a frame
    // cannot start before its trigger), and before this sample: stamp the middle of that window.
    const std::int64_t earliest = std::max(last_sample_mono_ns_, last_pulse_mono_ns_);
    const std::int64_t lo = std::min(earliest, sample_ns);
    edges_.push_back({lo + (sample_ns - lo) / 2, (sample_ns - lo) / 2});
  }
  readback_level_ = level;
  last_sample_mono_ns_ = sample_ns;
}

std::vector<TriggerEdge> Ft232hTriggerBox::read_edges() {
  std::vector<TriggerEdge> out;
  out.swap(edges_);
  return out;
}

void Ft232hTriggerBox::disarm() noexcept {
  if (!armed_) return;
  armed_ = false;
  try {
    // Trigger line low, then every pin back to an input (SET_BITMODE reset).
    usb_.bulk_write(kEndpointOut, set_low_byte(0x00, kDirectionMask), options_.transfer_timeout);
    control_out({kRequestTypeOut, kRequestSetBitmode, bitmode_value(kBitmodeReset, 0x00), kInterfaceA, 0});
  } catch (...) {
    // The box may be gone (that is often why we disarm); nothing more can be done for it.
  }
}

OwnedFt232hBox open_ft232h_trigger_box(const std::string& connection, const Clock& clock) {
  const auto parsed = transport::parse_connection_string(connection);
  Ft232hTriggerBox::Options options;
  options.latency_ms = static_cast<std::uint8_t>(parsed.int_option_or("latency_ms", options.latency_ms));
  options.set_command_floor = std::chrono::nanoseconds(parsed.int_option_or("command_ns", 50));
  OwnedFt232hBox owned;
  owned.usb = transport::make_usb_transport(parsed);
  owned.box = std::make_unique<Ft232hTriggerBox>(*owned.usb, clock, options);
  return owned;
}

}  // namespace glasslab::trigger
