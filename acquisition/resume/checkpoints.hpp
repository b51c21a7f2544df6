#pragma once
// Where a run stands, for `glasslab resume` (docs/reliability.md, "Crash and resume"). The engine
// and the DMA queue report step boundaries; the tracker keeps the state and saves it as the run's
// checkpoint_json (RunStore::save_checkpoint, in queue order with the records), so after a crash
// the stored state matches the records that were committed before it.
//
// checkpoint_json (steps 0-based, like step_index in the tables):
//   {"format": "glasslab-checkpoint-1", "checkpoint_step": 0 | null, "last_step": 1,
//    "last_step_finished": false, "resumes": 0}
//   checkpoint_step     the last step with `checkpoint = true` whose start the run reached
//   last_step           the last step that started (-1: none yet)
//   last_step_finished  it ended: a stage step completed; a DMA sweep ended, even failed (the
//                       queue goes on after a failed sweep)
//   resumes             how many times the run was resumed
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "schedules/schedule.hpp"

namespace glasslab::acquisition::resume {

struct CheckpointState {
  std::optional<int> checkpoint_step;
  int last_step = -1;
  bool last_step_finished = false;
  int resumes = 0;

  std::string to_json() const;
  /// Throws StoreError naming the text when it is not a checkpoint this version wrote.
  static CheckpointState from_json(const std::string& json);
  bool operator==(const CheckpointState&) const = default;
};

class CheckpointTracker {
public:
  /// `save` receives the JSON after every change (in a run: RunStore::save_checkpoint).
  CheckpointTracker(const schedules::Schedule& schedule, CheckpointState initial,
                    std::function<void(const std::string& json)> save);

  /// Saves the state as it is now (the start of a run, or of a resumed one).
  void save_now();
  void step_started(int step_index);
  void step_finished(int step_index);
  CheckpointState state() const { return state_; }

private:
  std::vector<bool> checkpoint_;
  CheckpointState state_;
  std::function<void(const std::string&)> save_;
};

}  // namespace glasslab::acquisition::resume
