#pragma once
// The sink every runner writes to. The SQLite RunStore implements it; tests may use a vector
// sink. Calls never wait on the disk: implementations queue and a writer thread commits in
// short batches (docs/database.md).
#include "acquisition/records.hpp"

namespace glasslab::acquisition {

class Recorder {
public:
  virtual ~Recorder() = default;
  virtual void record(const StageReading& reading) = 0;
  virtual void record(const Event& event) = 0;
  virtual void record(const FrameRecord& frame) = 0;
  virtual void record(const DmaPoint& point) = 0;
};

}  // namespace glasslab::acquisition
