#pragma once
// LinkamDevice: the T95 stage's semantics on top of drivers/linkam/protocol and a ByteTransport.
// Kelvin at the API (K = °C + 273.15; rates in K/min equal °C/min), the stage envelope enforced
// before anything is sent, CR acknowledgements read, and comms faults recovered: flush,
// resynchronise with 'T', reconnect with exponential back-off, re-push rate, limit, pump and run
// state. Every fault and recovery step is reported through the on_event callback.
// Recovery policy in detail: docs/linkam-protocol.md.
//
// Thread safety: every public method may be called from any thread; one mutex serialises whole
// transactions (command + reply), so the engine can poll from one thread and command from another.
// The on_event callback runs on the calling thread while that mutex is held: it must not call
// back into the device.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "drivers/linkam/protocol.hpp"
#include "drivers/transport/byte_transport.hpp"

namespace glasslab::linkam {

/// THMS600 / THS600 defaults (reference, "Envelope"): -196..600 °C, 0.01..150 °C/min.
struct StageEnvelope {
  double min_K = 77.15;
  double max_K = 873.15;
  double min_rate_K_per_min = 0.01;
  double max_rate_K_per_min = 150.0;
};

enum class StageState { stopped, heating, cooling, holding_limit, holding_limit_time, holding_current, unknown };
std::string_view to_string(StageState state);

/// One decoded 'T' reply, in kelvin.
struct StageStatus {
  double temperature_K = 0;
  StageState state = StageState::unknown;
  int status_byte = 0;        ///< SB1 as received (low-nibble bits kept)
  int error_bits = 0;         ///< EB1 & 0x7F
  bool cooling_rate_too_fast = false;
  bool open_circuit = false;
  bool power_surge = false;
  int pump_speed = 0;         ///< 0..30
  bool pump_automatic = false;
  /// The device's count of line disturbances when this reply was returned (read_status only):
  /// transactions whose bytes the driver consumed without returning them as a status (a comms
  /// fault and its recovery, a safe-state or connect handshake). When it moved between two
  /// readings, replies the stage sent in between may not have been returned: the poller records
  /// that interval as a gap, so every reply is either a reading or inside a recorded gap.
  std::uint64_t line_disturbances = 0;
};

/// kinds: "connected", "comms_fault", "resync", "resynchronised", "reconnect_attempt",
/// "reconnect_failed", "reconnected", "state_restored", "refused_value", "stage_error",
/// "stage_error_cleared", "safe_state", "safe_state_blind", "safe_state_failed".
struct DeviceEvent {
  std::string kind;
  std::string message;
  bool is_fault = false;
};

struct DeviceOptions {
  StageEnvelope envelope;
  std::chrono::milliseconds reply_timeout{500};
  int max_reconnect_attempts = 8;
  std::chrono::milliseconds first_backoff{100};
  std::chrono::milliseconds max_backoff{5000};
};

enum class SafeState { stop, hold };
/// How a safe-state attempt ended: confirmed by a status; E sent blind (the controller hears us,
/// its replies are unreadable); or nothing could be sent (no line, a silent controller, a stuck call).
enum class SafeStateResult { confirmed, sent_blind, not_sent };

class LinkamDevice {
public:
  LinkamDevice(std::unique_ptr<transport::ByteTransport> transport, DeviceOptions options,
               std::function<void(const DeviceEvent&)> on_event = {});
  ~LinkamDevice();  ///< closes the transport; never throws, leaves the stage as it is
  LinkamDevice(const LinkamDevice&) = delete;
  LinkamDevice& operator=(const LinkamDevice&) = delete;

  /// Opens the transport and sends 'T' first (the T95 ignores everything before it); throws
  /// DeviceError naming the device if no valid 'T' reply arrives.
  void connect();
  /// One 'T' transaction, with recovery.
  StageStatus read_status();

  /// Refuse values outside the envelope before sending (DeviceError naming value and limit).
  /// The value is rounded to the wire's resolution (0.01 K/min, 0.1 K); the rounded value is
  /// what rate_K_per_min() / limit_K() return afterwards.
  void set_rate_K_per_min(double rate);
  void set_limit_K(double limit);

  void start();  ///< S: ramp at the rate towards the limit, then hold it
  void stop();   ///< E: stop heating and cooling
  void hold();   ///< O: hold the current temperature
  void heat();   ///< H: force heating (leaves a hold)
  void cool();   ///< C: force cooling (leaves a hold)
  void set_pump_automatic();             ///< Pa0
  void set_pump_manual();                ///< Pm0
  void set_pump_speed(int speed_0_to_30);///< P<chr(0x30+speed)>, refused outside 0..30

  /// Best effort, never throws: abandons a recovery in progress, then sends 'T' and E (stop) or
  /// O (hold, unless the stage already holds). Returns true once the controller acknowledged it
  /// ("safe_state" event). When the line is open but no valid status comes back (a controller
  /// that answers late or garbled), E is sent blind: E is idempotent, O is not, so without a
  /// status only E is safe ("safe_state_blind", returns false: unconfirmed). Otherwise
  /// "safe_state_failed". `line_wait` bounds the wait for another thread's transaction (a stuck
  /// call): past it nothing is sent and false is returned; the recovery stays abandoned.
  bool enter_safe_state(SafeState state,
                        std::optional<std::chrono::milliseconds> line_wait = std::nullopt) noexcept;
  /// enter_safe_state with the outcome told apart (the engine's exit path retries `not_sent`).
  SafeStateResult try_safe_state(SafeState state,
                                 std::optional<std::chrono::milliseconds> line_wait = std::nullopt) noexcept;

  const StageEnvelope& envelope() const { return options_.envelope; }
  /// Last values accepted (as rounded to the wire); NaN before the first set.
  double rate_K_per_min() const { return rate_K_per_min_.load(); }
  double limit_K() const { return limit_K_.load(); }
  std::string description() const;  ///< the transport's, e.g. "serial:/dev/pts/4?baud=19200&flow=none"

private:
  /// What the host last asked for; re-pushed after a reconnect.
  enum class RunState { unknown, stopped, started, held, forced_heating, forced_cooling };
  enum class PumpMode { unknown, automatic, manual };

  // Raw transactions (no recovery): the caller holds mutex_.
  protocol::StatusReply status_transaction();
  void command_transaction(const std::string& command);

  // Transactions with recovery. `skip_if` lets a retry after recovery skip a command whose effect
  // is already visible in the status (re-sending O while holding would not be idempotent).
  protocol::StatusReply status_with_recovery();
  void command_with_recovery(const std::string& command,
                             const std::function<bool(const protocol::StatusReply&)>& skip_if = {});
  void run_command(const std::string& command, RunState new_state);

  protocol::StatusReply recover(bool reconnect, const std::string& cause);
  std::optional<protocol::StatusReply> resynchronise();
  protocol::StatusReply reconnect_with_backoff(const std::string& cause);
  protocol::StatusReply handshake(int attempts);
  void drain_and_flush();
  void push_state(const protocol::StatusReply& status);
  void note_stage_errors(const protocol::StatusReply& status);
  bool sleep_unless_abandoned(std::chrono::milliseconds duration);
  std::optional<protocol::StatusReply> safe_state_handshake();
  SafeStateResult send_safe_state(SafeState state);

  void emit(std::string kind, std::string message, bool is_fault);
  void note_disturbance() { disturbances_.fetch_add(1); }
  [[noreturn]] void refuse(const std::string& what, double value, const std::string& limit_text);
  void require_connected(const char* operation) const;

  std::unique_ptr<transport::ByteTransport> transport_;
  DeviceOptions options_;
  std::function<void(const DeviceEvent&)> on_event_;

  // One transaction at a time. Timed, so that the safety thread can refuse to wait forever
  // behind a stuck call (enter_safe_state's line_wait).
  mutable std::timed_mutex mutex_;
  bool connected_ = false;
  std::optional<int> rate_hundredths_;   // as sent on the wire
  std::optional<int> limit_tenths_;
  RunState run_state_ = RunState::unknown;
  PumpMode pump_mode_ = PumpMode::unknown;
  std::optional<int> pump_speed_;
  int last_error_bits_ = 0;
  std::atomic<std::uint64_t> disturbances_{0};  // see StageStatus::line_disturbances
  std::atomic<double> rate_K_per_min_;
  std::atomic<double> limit_K_;

  // Lets enter_safe_state() cut a recovery short (a back-off sleep, a resync between two 'T's)
  // without taking mutex_.
  std::atomic<bool> abandon_recovery_{false};
  std::mutex sleep_mutex_;
  std::condition_variable sleep_cv_;
};

/// Converts one decoded reply to kelvin and the API's state names.
StageStatus to_stage_status(const protocol::StatusReply& reply);

}  // namespace glasslab::linkam
