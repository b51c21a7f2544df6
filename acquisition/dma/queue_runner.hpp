#pragma once
// An unattended queue of DMA sweeps (an overnight run): each sweep runs in turn; one that fails
// (instrument error, a connection that does not come back, a lost sample, a timeout) is recorded
// with its reason as an Event and the next sweep starts. The night ends with a summary.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "acquisition/dma/sweep_runner.hpp"

namespace glasslab::acquisition::dma {

struct QueueSummary {
  std::vector<SweepOutcome> sweeps;  ///< in queue order; sweeps not reached after an abort are absent
  std::size_t completed = 0;
  std::size_t failed = 0;
  std::size_t aborted = 0;
  std::int64_t total_points = 0;
  double duration_s = 0;  ///< experiment seconds
  std::string data_location;  ///< where the points went (e.g. "run 12 in /path/glasslab.sqlite")

  bool all_completed() const { return failed == 0 && aborted == 0; }
  /// A few lines for the operator and the run's event table: what ran, what failed, where the data are.
  std::string text() const;
};

/// The sample-state keyword the service's SAMPLE command takes for a schedule state
/// ("as_cast" → "AS_CAST", "hpt_..." → "HPT"); empty when there is nothing to load.
std::string service_sample_state(const std::string& schedule_state);

class DmaQueueRunner {
public:
  DmaQueueRunner(rheometer::RheometerClient& client, const Clock& clock, Recorder& recorder, SweepOptions options = {});

  QueueSummary run(const std::vector<SweepSpec>& sweeps, const std::function<bool()>& abort_requested = {},
                   const std::string& data_location = {});
  /// Called when a sweep starts (finished = false) and when it ended, completed or failed (the
  /// queue goes on); not after an operator abort. The resume checkpoints hang here.
  void set_step_callback(std::function<void(int step_index, bool finished)> callback) {
    on_step_ = std::move(callback);
  }

  /// Called before each sweep (its index in `sweeps`), once the previous one has left the
  /// rheometer safe: the queue's safe point, where a paused run waits (the service has no hold
  /// of its own, docs/rheometer-protocol.md). abort_requested is checked again after it returns.
  void set_before_sweep(std::function<void(std::size_t index)> hook) { before_sweep_ = std::move(hook); }

private:
  void load_sample_if_changed(const SweepSpec& spec, const SweepSpec* previous);
  void event(EventLevel level, const std::string& kind, const std::string& message);

  rheometer::RheometerClient& client_;
  const Clock& clock_;
  Recorder& recorder_;
  DmaSweepRunner sweep_runner_;
  std::function<void(std::size_t)> before_sweep_;
  std::function<void(int, bool)> on_step_;
};

}  // namespace glasslab::acquisition::dma
