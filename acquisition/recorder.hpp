#pragma once
// The sink every runner writes to. The SQLite RunStore implements it; tests may use a vector
// sink. Calls never wait on the disk: implementations queue and a writer thread commits in
// short batches (docs/database.md).
#include <string>
#include <utility>

#include "acquisition/records.hpp"
#include "core/clock.hpp"

namespace glasslab::acquisition {

class Recorder {
public:
  virtual ~Recorder() = default;
  virtual void record(const StageReading& reading) = 0;
  virtual void record(const Event& event) = 0;
  virtual void record(const FrameRecord& frame) = 0;
  virtual void record(const DmaPoint& point) = 0;
};

/// Records one event stamped now on `clock` (its monotonic time and the UTC of that instant).
inline void record_event(Recorder& recorder, const Clock& clock, EventLevel level, std::string source,
                         std::string kind, std::string message) {
  const std::int64_t now = clock.mono_ns();
  recorder.record(Event{now, clock.utc_ns_at(now), level, std::move(source), std::move(kind), std::move(message)});
}

}  // namespace glasslab::acquisition
