#pragma once
// What an operator wants to see at a glance while a run works (issue 6): where the schedule is and
// how long is left, the stage, the X-ray frames and their last Seq, the DMA sweep and frequency,
// faults, and whether the run is paused. One board gathers it from the engine's progress, the
// records of the run and the DMA queue; the terminal panel (app/progress_printer) and the
// dashboard (run_control.status_json, docs/dashboard.md) both show its snapshots.
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "acquisition/control/run_control.hpp"
#include "acquisition/engine/run_engine.hpp"
#include "acquisition/records.hpp"
#include "core/clock.hpp"
#include "schedules/plan.hpp"

namespace glasslab::acquisition::control {

struct LiveStatus {
  int step_index = -1;  ///< 0-based; -1 before the first step
  int step_count = 0;
  std::string step_kind;
  std::string step_description;
  double run_fraction = 0;  ///< 0..1 of the planned total
  double remaining_s = 0;   ///< planned experiment seconds left
  double elapsed_s = 0;     ///< experiment seconds since the run began, pauses included

  std::optional<double> T_K, setpoint_K, rate_K_per_min;  ///< the stage (absent in a DMA run)
  std::string stage_state;

  int frames = 0, frames_ok = 0;
  std::optional<double> last_seq_kB_per_atom;
  std::optional<double> last_seq_T_K;
  int last_seq_frame = -1;

  std::string dma_sweep;
  int dma_sweep_number = 0, dma_sweep_count = 0;  ///< 1-based number of the sweep running
  std::optional<double> dma_frequency_Hz, dma_T_K;
  std::int64_t dma_points = 0;

  int faults = 0;  ///< comms faults, gaps and instrument warnings so far

  std::string control_state = "running";  ///< ControlState as text
  std::string pause_note;
  double paused_s = 0;

  std::int64_t t_mono_ns = 0;  ///< experiment time of the snapshot
  std::int64_t t_utc_ns = 0;
};

nlohmann::json to_json(const LiveStatus& status);

/// What a run recorded before this process (a resumed run), so its counts are the run's.
struct RecordCounts {
  int frames = 0, frames_ok = 0;
  std::int64_t dma_points = 0;
};

class LiveStatusBoard {
public:
  /// `control` (may be null) supplies the control state of each snapshot.
  LiveStatusBoard(const Clock& clock, const RunControl* control = nullptr);

  /// The control whose state each snapshot shows (RunControl logs through the recorder that feeds
  /// this board, so it is made after it).
  void set_control(const RunControl* control);

  /// For runs whose progress is not computed by the stage engine (DMA queues): the plan's steps
  /// and durations turn "sweep of step i has run t seconds" into percent and time left.
  void set_plan(const schedules::Plan& plan);

  void on_progress(const RunProgress& progress);
  /// A resumed run: what the run recorded before this process, so frames and DMA points count
  /// the run's, not the process's.
  void count_earlier_records(const RecordCounts& earlier);
  void on_frame(const FrameRecord& frame);
  void on_frame_analysis(const FrameAnalysis& analysis);
  void on_dma_sweep_start(int sweep_number, int sweep_count, const std::string& name, int step_index);
  void on_dma_point(const DmaPoint& point);
  void on_event(const Event& event);

  LiveStatus snapshot() const;

private:
  void apply_planned_progress_locked(LiveStatus& status, std::int64_t now_ns) const;

  const Clock& clock_;
  const RunControl* control_;
  mutable std::mutex mutex_;
  LiveStatus status_;
  std::optional<schedules::Plan> plan_;
  std::int64_t run_start_ns_;
  std::int64_t step_start_ns_ = 0;
  std::map<int, double> frame_T_mid_K_;  ///< frame index -> T at mid-exposure, for the last Seq
  int engine_faults_ = 0;
  int other_faults_ = 0;
  bool engine_progress_ = false;  ///< the stage engine reports progress itself
};

}  // namespace glasslab::acquisition::control
