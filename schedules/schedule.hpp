#pragma once
// The schedule model: what an experiment asks of the instruments, in SI-ish lab units (kelvin,
// seconds, K/min, Hz), independent of TOML. parse_schedule() reads docs/schedule-format.md's
// format into it and validates it completely before returning, so the engine never sees a
// schedule that would move an instrument outside its envelope.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace glasslab::schedules {

/// Where a value came from in the schedule file (1-based line and column; 0 = unknown).
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;
};

/// X-ray frames taken back to back during a hold or ramp. Framewise external triggering: the
/// period between trigger pulses is the exposure (reference/detector-trigger.md), so
/// period_s >= exposure_s.
struct XrdAcquisition {
  double period_s = 12;
  double exposure_s = 12;
  std::optional<int> frame_count;  ///< unset: as many whole frames as fit in the step
};

/// Go to temperature_K (at approach_rate_K_per_min, else the stage's approach rate), settle,
/// then stay there for duration_s timed by the host.
struct HoldStep {
  double temperature_K = 0;
  double duration_s = 0;
  std::optional<double> approach_rate_K_per_min;
};

/// One controller ramp (R1/L1/S) from wherever the stage is to to_K.
struct RampStep {
  double to_K = 0;
  double rate_K_per_min = 0;
};

enum class DmaMode { torsion, bending };

/// Continuous temperature ramp on the rheometer with the frequencies applied in turn.
struct DmaRampStep {
  double from_K = 0, to_K = 0, rate_K_per_min = 0;
  std::vector<double> frequencies_Hz;
  double strain_pct = 0;
  DmaMode mode = DmaMode::bending;
  int delay_cycles = 1;        ///< cycles applied before the acquisition window (not recorded)
  int acquisition_cycles = 2;  ///< cycles averaged into one point
  std::optional<double> axial_force_N;
  std::string sample_label;  ///< which bar this sweep measures; empty: the schedule's sample
  std::string sample_state;  ///< its Table 2 state when it differs from [sample]; empty: the schedule's
};

/// Temperature steps on the rheometer with a frequency sweep at each temperature.
struct DmaIsothermalStep {
  std::vector<double> temperatures_K;
  std::vector<double> frequencies_Hz;
  double strain_pct = 0;
  DmaMode mode = DmaMode::bending;
  double soak_s = 0;
  int delay_cycles = 1;        ///< cycles applied before the acquisition window (not recorded)
  int acquisition_cycles = 2;  ///< cycles averaged into one point
  std::optional<double> axial_force_N;
  std::string sample_label;
  std::string sample_state;
};

using StepBody = std::variant<HoldStep, RampStep, DmaRampStep, DmaIsothermalStep>;

struct Step {
  StepBody body;
  std::optional<XrdAcquisition> xrd;
  bool checkpoint = false;  ///< the start of this step is a safe point to resume a run from
  std::string label;
  SourceLocation where;     ///< the [[step]] header
  /// "hold", "ramp", "dma_ramp" or "dma_isothermal" (the TOML `kind`).
  std::string kind() const;
  bool uses_stage() const;       ///< hold, ramp
  bool uses_rheometer() const;   ///< dma_ramp, dma_isothermal
};

/// Limits the stage may be driven within (THMS600/THS600: -196..600 °C, 0.01..150 °C/min;
/// reference/linkam-t95.md). A K/min rate equals a °C/min rate.
struct StageEnvelope {
  double min_K = 77.15, max_K = 873.15, min_rate_K_per_min = 0.01, max_rate_K_per_min = 150;
};

struct StageConfig {
  std::string connection = "serial:/dev/ttyUSB0?baud=19200&flow=rtscts";
  StageEnvelope envelope;
  double poll_hz = 2;  ///< TOML key poll_Hz; 0 < poll_Hz <= 10
  enum class SafeState { stop, hold } safe_state = SafeState::stop;
  double tolerance_heating_K = 0.5, tolerance_cooling_K = 1.5, settle_s = 10;
  double approach_rate_K_per_min = 20;
  // Interlocks (docs/reliability.md): the engine trips when a reading leaves the envelope by more
  // than these margins, or no valid reading arrived for watchdog_s (wall seconds).
  double watchdog_s = 10;
  double over_temperature_margin_K = 5;
  double rate_margin_K_per_min = 10;
  double rate_window_s = 5;  ///< the measured rate is the slope over this many experiment seconds
  /// EB1 bit0 (the stage cannot hold the cooling rate): warn and carry on, or stop the run.
  enum class CoolingRatePolicy { warn, stop } on_cooling_rate_error = CoolingRatePolicy::warn;
};

struct TriggerConfig {
  std::string connection = "usb:0403:6014";
  double pulse_width_us = 20;  ///< the detector wants >= 20 us (reference/detector-trigger.md)
};

struct DetectorConfig {
  std::string watch_dir;          ///< where the detector software writes frame files
  double match_tolerance_s = 2;   ///< file time vs trigger time
};

/// Limits of the rheometer's oven. Defaults: the DHR-3 Environmental Test Chamber, -160..600 °C.
struct RheometerEnvelope {
  double min_K = 113.15, max_K = 873.15, max_rate_K_per_min = 60;
};

struct RheometerConfig {
  std::string connection = "tcp:127.0.0.1:5025";
  RheometerEnvelope envelope;
  /// How fast the oven is taken to a sweep's first temperature and between isothermal steps: sent
  /// to the instrument (APPROACH, docs/rheometer-protocol.md) and counted by the plan.
  double approach_rate_K_per_min = 20;
};

struct Instruments {
  std::optional<StageConfig> stage;
  std::optional<TriggerConfig> trigger;
  std::optional<DetectorConfig> detector;
  std::optional<RheometerConfig> rheometer;
};

/// The paper's Table 2 states. No other value is accepted: the simulator's structural model and
/// the analysis both key on the state.
inline constexpr std::string_view kSampleStates[] = {
    "as_cast", "hpt_rt_stored_rt", "hpt_ln2_stored_ln2", "hpt_rt_stored_ln2"};
bool is_known_sample_state(std::string_view state);

struct Sample {
  std::string name;
  std::string state;  ///< one of kSampleStates (paper Table 2)
  std::string composition = "Cu44Zr44Al8Hf2Co2";
  double molar_mass_g_per_mol = 75.006;
  std::optional<double> mass_mg;
  std::string notes;
};

struct Schedule {
  std::string path;  ///< file name used in diagnostics
  std::string text;  ///< the TOML as read (stored with the run)
  std::string title;
  std::string operator_name;
  Sample sample;
  Instruments instruments;
  std::vector<Step> steps;
  /// Where each key was read, by its diagnostic path ("sample.state", "step[2].to_K",
  /// "instruments.stage.envelope.max_K"; step numbers count from 1). Empty for schedules built in code.
  std::map<std::string, SourceLocation> locations;
};

std::string_view to_string(DmaMode mode);
std::string_view to_string(StageConfig::SafeState state);

/// Reads and fully validates a schedule. Throws ScheduleError whose message lists every problem,
/// one per line, each "file:line:column: key: message (value)".
Schedule parse_schedule(std::string_view toml_text, const std::string& path);
/// parse_schedule() on a file's contents; a file that cannot be read is a ScheduleError too.
Schedule load_schedule_file(const std::string& path);

/// A file holding only a [sample] table (schedules/paper/samples/*.toml). Throws ScheduleError.
Sample parse_sample(std::string_view toml_text, const std::string& path);
Sample load_sample_file(const std::string& path);
/// Replaces the schedule's sample (e.g. `--sample schedules/paper/samples/as_cast.toml`), keeping
/// the rest; the schedule stays valid because a parsed Sample is valid.
void apply_sample(Schedule& schedule, const Sample& sample);
/// Sets only the sample's state (e.g. `--sample-state hpt_ln2_stored_ln2`); throws ScheduleError
/// naming the known states when `state` is not one of them.
void override_sample_state(Schedule& schedule, std::string_view state);

}  // namespace glasslab::schedules
