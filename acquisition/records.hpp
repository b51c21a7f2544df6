#pragma once
// What a run records, one struct per stream (docs/database.md). Every record carries the
// experiment clock's monotonic time and UTC (core/clock.hpp). Drivers have their own reading
// types; acquisition converts them into these, so drivers never know the database.
#include <cstdint>
#include <optional>
#include <string>

namespace glasslab::acquisition {

using RunId = std::int64_t;

struct RunStart {
  std::string schedule_path;
  std::string schedule_text;
  std::string sample_json;         ///< sample metadata as JSON
  std::string configuration_json;  ///< instruments, connection strings, envelopes, speed
  std::string operator_name;
  std::string software_version;
  std::int64_t start_mono_ns = 0;
  std::int64_t start_utc_ns = 0;
};

enum class ExitStatus { success, aborted, failed, interrupted };

struct RunStop {
  ExitStatus status = ExitStatus::success;
  std::string reason;
  std::int64_t stop_mono_ns = 0;
  std::int64_t stop_utc_ns = 0;
};

struct StageReading {
  std::int64_t t_mono_ns = 0;
  std::int64_t t_utc_ns = 0;
  double T_K = 0;
  double setpoint_K = 0;       ///< the limit the controller ramps towards (L1)
  double rate_K_per_min = 0;   ///< the programmed rate (R1)
  int status_code = 0;         ///< SB1 byte as received
  std::string status;          ///< "stopped", "heating", "cooling", "holding_limit", ...
  int error_bits = 0;          ///< EB1 with bit 7 masked off
  int pump_speed = 0;          ///< 0..30
  bool pump_automatic = false;
  int step_index = -1;         ///< schedule step being executed (-1 outside steps)
};

enum class EventLevel { debug, info, warning, error };

struct Event {
  std::int64_t t_mono_ns = 0;
  std::int64_t t_utc_ns = 0;
  EventLevel level = EventLevel::info;
  std::string source;   ///< "engine", "linkam", "trigger", "rheometer", "store", "operator"
  std::string kind;     ///< short machine-readable tag: "step_start", "comms_fault", "gap", ...
  std::string message;  ///< for people; names device and value
};

struct FrameRecord {
  int index = 0;
  std::int64_t trigger_mono_ns = 0;
  std::int64_t t_start_mono_ns = 0;
  std::int64_t t_end_mono_ns = 0;
  std::int64_t t_start_utc_ns = 0;
  std::int64_t t_end_utc_ns = 0;
  std::string start_source;  ///< "readback" (TRIG_OUT edge) or "commanded" (host send time)
  std::optional<double> T_start_K, T_mid_K, T_end_K;
  std::string file;          ///< empty when no file arrived
  std::string status;        ///< "ok", "missed", "late", "unreadable", "unmatched_file", ...
  std::string reason;
  int step_index = -1;
};

struct DmaPoint {
  std::int64_t t_mono_ns = 0;
  std::int64_t t_utc_ns = 0;
  std::int64_t instrument_index = 0;  ///< the rheometer's own point index (resync key)
  std::string sweep;                  ///< sweep name within the run
  double T_K = 0;
  double frequency_Hz = 0;
  double storage_modulus_Pa = 0;
  double loss_modulus_Pa = 0;
  double tan_delta = 0;
  double strain_pct = 0;
  double force_N = 0;
  double torque_Nm = 0;
  std::string mode;                   ///< "torsion" or "bending"
  int step_index = -1;
};

/// The Seq result of one frame (analysis issue), stored next to the frame (table frame_analysis).
/// Recording the same (run, frame_index) again replaces the earlier result.
struct FrameAnalysis {
  RunId run_id = 0;                        ///< 0: the run most recently begun by the store
  int frame_index = 0;
  std::optional<double> rho0_per_A3;       ///< number density used (fitted or given)
  bool rho0_fitted = false;                ///< true: fitted from the low-r slope
  std::optional<double> r_min_A;           ///< excluded-volume cut-off, when used
  double r_max_A = 0;                      ///< upper integration limit
  std::optional<double> seq_kB_per_atom;
  std::optional<double> seq_J_per_mol_K;
  std::string status;                      ///< "ok" or "failed"
  std::string reason;                      ///< why it failed, empty when ok
  std::int64_t analyzed_utc_ns = 0;        ///< when the analysis ran
};

std::string to_string(ExitStatus status);
std::string to_string(EventLevel level);

}  // namespace glasslab::acquisition
