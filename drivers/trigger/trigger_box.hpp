#pragma once
// The narrow trigger interface (reference: detector-trigger.md, "Keep the trigger interface
// narrow (arm, pulse or periodic train, read back edges) so these can be added as backends").
// The FT232H box is the first backend; a LabJack U3/U6 (hardware timers) or an Arduino on a CDC
// serial port would implement the same five calls.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace glasslab::trigger {

/// One frame-start edge seen on the read-back input, stamped on the host's experiment clock.
struct TriggerEdge {
  std::int64_t mono_ns = 0;          ///< best estimate of when the edge happened
  std::int64_t uncertainty_ns = 0;   ///< half the interval in which it must have happened
};

/// What a pulse command did, stamped on the host's experiment clock.
struct PulseReport {
  std::int64_t commanded_mono_ns = 0;  ///< just before the bytes went to the device
  std::int64_t sent_mono_ns = 0;       ///< when the write returned
};

class TriggerBox {
public:
  virtual ~TriggerBox() = default;

  /// Brings the box into a known state (trigger line inactive) and ready to pulse.
  virtual void arm() = 0;
  /// One trigger pulse of at least `width` on the output line.
  virtual PulseReport pulse(std::chrono::microseconds width) = 0;
  /// Looks at the read-back input once and records an edge if it went active.
  virtual void poll_readback() = 0;
  /// Frame-start edges seen since the previous call (oldest first).
  virtual std::vector<TriggerEdge> read_edges() = 0;
  /// Leaves the output line inactive and releases the pins; never throws.
  virtual void disarm() noexcept = 0;
  /// For messages and the run's configuration record.
  virtual std::string description() const = 0;
};

}  // namespace glasslab::trigger
