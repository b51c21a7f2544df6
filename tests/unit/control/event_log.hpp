#pragma once
// A Recorder that keeps events in memory, for tests of what gets logged.
#include <mutex>
#include <string>
#include <vector>

#include "acquisition/recorder.hpp"

namespace glasslab::acquisition::test {

class EventLog final : public Recorder {
public:
  void record(const StageReading&) override {}
  void record(const FrameRecord&) override {}
  void record(const DmaPoint&) override {}
  void record(const Event& e) override {
    std::lock_guard lock(mutex_);
    events_.push_back(e);
  }
  std::vector<Event> events() const {
    std::lock_guard lock(mutex_);
    return events_;
  }
  /// Messages of the events of one kind, in order.
  std::vector<std::string> messages(const std::string& kind) const {
    std::vector<std::string> out;
    for (const auto& e : events())
      if (e.kind == kind) out.push_back(e.message);
    return out;
  }

private:
  mutable std::mutex mutex_;
  std::vector<Event> events_;
};

}  // namespace glasslab::acquisition::test
