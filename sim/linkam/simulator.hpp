#pragma once
// A simulated Linkam T95 on a pseudo-terminal: `glasslab sim linkam`, or in-process on a thread.
//
//   LinkamSimOptions options;  options.speed = 1000;
//   LinkamSimulator sim(options);            // opens the pty and the stable symlink
//   connect_driver_to(sim.device_path());
//   std::atomic<bool> stop{false};
//   std::thread serve([&] { sim.run(stop); });
//   sim.apply_fault_command("drop 5");       // from any thread
//
// Experiment time runs `speed` times faster than the wall (core/clock.hpp); the physics is
// integrated in small steps of experiment time up to "now" before every command, so replies are
// the same at any speed. docs/simulators.md ("Linkam T95") documents the model and the faults.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "sim/linkam/fault_commands.hpp"
#include "sim/linkam/pty_endpoint.hpp"
#include "sim/linkam/t95_controller.hpp"
#include "sim/linkam/thermal_model.hpp"

namespace glasslab::sim::linkam {

struct LinkamSimOptions {
  double speed = 1.0;                 // experiment seconds per wall second
  double initial_K = 295.15;          // sample temperature at power-on
  double ambient_K = 295.15;          // room (overrides thermal.ambient_K)
  unsigned seed = 1;                  // sensor noise and garbage bytes
  double noise_K = 0.02;              // sigma of the Gaussian sensor noise
  bool pump_auto_at_power_on = false; // the LNP starts in manual mode at speed 0 unless set
  std::string link_path;              // stable symlink; empty: <tmp>/glasslab-linkam-XXXXXX/linkam-tty
  std::string truth_log_path;         // CSV of the true state; empty: none
  double truth_interval_s = 1.0;      // experiment seconds between truth-log lines
  std::string reply_log_path;         // CSV of every T reply and its fate, applied faults, the exit state; empty: none
  std::vector<std::string> faults;    // scheduled faults, "drop:5@60" (fault_commands.hpp)
  int control_in_fd = -1;             // run-time fault lines are read from here (the CLI: stdin)
  int control_out_fd = -1;            // `status` answers are written here (the CLI: stdout)
  std::shared_ptr<const Clock> clock; // shared with an in-process engine; null: own ScaledSteadyClock(speed)
  ThermalParameters thermal;
};

class LinkamSimulator {
public:
  explicit LinkamSimulator(LinkamSimOptions options);  // throws DeviceError, UsageError
  ~LinkamSimulator();
  LinkamSimulator(const LinkamSimulator&) = delete;
  LinkamSimulator& operator=(const LinkamSimulator&) = delete;

  /// The stable path a driver opens (a symlink to the current pty).
  std::string device_path() const;
  /// The pty the symlink points to now; empty while the line is dropped.
  std::string pty_path() const;

  /// Serves the line until `stop` becomes true; then removes the symlink.
  void run(const std::atomic<bool>& stop);

  /// Applies one run-time fault line; returns the JSON line for `status`, else "".
  /// Thread-safe. Throws UsageError for a line it does not understand.
  std::string apply_fault_command(std::string_view line);

  /// The true state now (physics advanced to the present).
  ControllerSnapshot snapshot();
  /// The true state and the fault switches as one JSON object (no newline).
  std::string status_json();
  double experiment_time_s() const;

private:
  /// A reply on its way: `status_at_ns` >= 0 marks the answer to a T (a reading), logged with
  /// its fate in the reply log; acknowledgements carry -1.
  struct DelayedReply {
    std::chrono::steady_clock::time_point due;
    std::string bytes;
    std::int64_t status_at_ns = -1;
  };

  void advance_locked();
  std::string apply_locked(const FaultCommand& command);
  std::string status_json_locked() const;
  void apply_due_scheduled_faults_locked();
  void service_drop_locked();
  void read_line_locked();
  void handle_line_locked(std::string_view line);
  void send_reply_locked(std::string reply, std::int64_t status_at_ns);
  void flush_delayed_locked();
  void write_to_line_locked(const DelayedReply& reply);
  /// One line of the reply log: t_mono_ns,kind,data,fate (docs/simulators.md, "Reply log").
  void log_reply_event(std::int64_t mono_ns, std::string_view kind, std::string_view data, std::string_view fate);
  std::string garbage_reply_locked();
  void read_control_input();
  int poll_timeout_ms_locked() const;
  void write_truth_line(const ControllerSnapshot& snapshot);

  LinkamSimOptions options_;
  std::shared_ptr<const Clock> clock_;
  std::int64_t origin_mono_ns_ = 0;

  mutable std::mutex mutex_;
  T95Controller controller_;
  StableLink link_;
  std::unique_ptr<PtyEndpoint> pty_;       // null while the line is dropped
  std::unique_ptr<PtyEndpoint> next_pty_;  // opened when a drop starts, linked when it ends
  std::string pending_input_;              // bytes of a command whose CR has not arrived
  std::deque<DelayedReply> delayed_;

  std::vector<ScheduledFault> scheduled_;  // sorted by at_s, applied in order
  std::size_t next_scheduled_ = 0;
  bool drop_requested_ = false;
  double drop_duration_s_ = 0.0;
  double reconnect_at_s_ = -1.0;
  int drops_done_ = 0;
  int garbage_left_ = 0;
  double late_ms_ = 0.0;
  double silent_until_s_ = -1.0;
  std::mt19937_64 garbage_rng_;

  std::FILE* truth_log_ = nullptr;
  std::FILE* reply_log_ = nullptr;
  std::chrono::steady_clock::time_point last_truth_flush_{};
  std::string control_input_;
  bool control_input_open_ = false;
};

}  // namespace glasslab::sim::linkam
