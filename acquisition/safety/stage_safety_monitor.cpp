#include "acquisition/safety/stage_safety_monitor.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace glasslab::acquisition::safety {

namespace {
std::string_view safe_state_name(linkam::SafeState state) {
  return state == linkam::SafeState::hold ? "hold (O)" : "stop (E)";
}
}  // namespace

StageSafetyMonitor::StageSafetyMonitor(StageSafetyLimits limits, std::string device, Recorder& recorder,
                                       const Clock& clock, SafeStateAction enter_safe_state)
    : rules_(limits),
      limits_(limits),
      device_(std::move(device)),
      recorder_(recorder),
      clock_(clock),
      enter_safe_state_(std::move(enter_safe_state)),
      last_valid_T_K_(std::numeric_limits<double>::quiet_NaN()) {}

StageSafetyMonitor::~StageSafetyMonitor() { stop(); }

void StageSafetyMonitor::arm() {
  std::lock_guard lock(mutex_);
  armed_ = true;
  last_valid_mono_ns_ = clock_.mono_ns();
}

void StageSafetyMonitor::start() {
  arm();
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { run_thread(); });
}

void StageSafetyMonitor::stop() noexcept {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    armed_ = false;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

double StageSafetyMonitor::wall_s_since(std::int64_t mono_ns) const {
  return static_cast<double>(clock_.mono_ns() - mono_ns) * 1e-9 / clock_.speed();
}

void StageSafetyMonitor::record_event(EventLevel level, const std::string& kind, const std::string& message) {
  try {
    acquisition::record_event(recorder_, clock_, level, "safety", kind, message);
  } catch (...) {
    // A store that cannot take the event must not keep the stage from its safe state.
  }
}

void StageSafetyMonitor::latch(InterlockTrip trip) {
  {
    std::lock_guard lock(mutex_);
    if (trip_ || !armed_) return;  // the first trip of the run latches
    trip_ = trip;
    next_attempt_mono_ns_ = clock_.mono_ns();
  }
  record_event(EventLevel::error, "interlock", describe(trip, device_));
  wake_.notify_all();
}

void StageSafetyMonitor::on_reading(const StageReading& reading) {
  {
    std::lock_guard lock(mutex_);
    last_valid_mono_ns_ = clock_.mono_ns();
    if (!(reading.error_bits & 0x02)) last_valid_T_K_ = reading.T_K;
  }
  const Verdict verdict = rules_.evaluate(reading);
  if (verdict.warning) record_event(EventLevel::warning, "interlock_warning", *verdict.warning);
  if (verdict.trip) latch(*verdict.trip);
}

void StageSafetyMonitor::check_watchdog() {
  InterlockTrip trip;
  {
    std::lock_guard lock(mutex_);
    if (!armed_ || trip_) return;
    const double silent_s = wall_s_since(last_valid_mono_ns_);
    if (silent_s < limits_.watchdog_s) return;
    trip.kind = InterlockKind::watchdog;
    trip.value = silent_s;
    trip.limit = limits_.watchdog_s;
    trip.unit = "s";
    trip.detail = fmt::format("no valid stage reading for {:.1f} s of wall time (watchdog_s {:g} s); last valid "
                              "reading T = {:.2f} K",
                              silent_s, limits_.watchdog_s, last_valid_T_K_);
    trip.action = rules_.action_for(InterlockKind::watchdog);
    trip.t_mono_ns = clock_.mono_ns();
    trip.T_K = last_valid_T_K_;
  }
  latch(trip);
}

void StageSafetyMonitor::act_on_trip() {
  linkam::SafeState state;
  InterlockKind kind;
  std::int64_t tripped_ns = 0;
  {
    std::lock_guard lock(mutex_);
    if (!trip_ || confirmed_ || clock_.mono_ns() < next_attempt_mono_ns_) return;
    state = trip_->action;
    kind = trip_->kind;
    tripped_ns = trip_->t_mono_ns;
    ++attempts_;
  }
  const bool confirmed = enter_safe_state_ && enter_safe_state_(state, kLineWait);
  std::unique_lock lock(mutex_);
  const int attempt = attempts_;
  if (confirmed) {
    confirmed_ = true;
    lock.unlock();
    record_event(EventLevel::info, "interlock_safe_state",
                 fmt::format("Linkam T95 {}: safe state {} confirmed after the {} interlock ({} attempt(s), {:.1f} s "
                             "of wall time after the trip)",
                             device_, safe_state_name(state), to_string(kind), attempt, wall_s_since(tripped_ns)));
    return;
  }
  const auto retry = retry_;
  next_attempt_mono_ns_ = clock_.mono_ns() + static_cast<std::int64_t>(retry.count() * 1e6 * clock_.speed());
  retry_ = std::min(retry_ * 2, kMaxRetry);
  lock.unlock();
  record_event(EventLevel::error, "interlock_safe_state_failed",
               fmt::format("Linkam T95 {}: safe state {} after the {} interlock not confirmed (attempt {}); next "
                           "attempt in {:.0f} s",
                           device_, safe_state_name(state), to_string(kind), attempt, retry.count() / 1000.0));
}

void StageSafetyMonitor::run_thread() {
  // Tick often enough to trip within a twentieth of the watchdog time (5..100 ms of wall time).
  const auto tick = std::chrono::milliseconds(
      std::clamp(static_cast<long>(limits_.watchdog_s * 1000.0 / 20.0), 5L, 100L));
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    check_watchdog();
    act_on_trip();
    lock.lock();
    if (stopping_) break;
    wake_.wait_for(lock, tick);
  }
}

std::optional<InterlockTrip> StageSafetyMonitor::trip() const {
  std::lock_guard lock(mutex_);
  return trip_;
}

std::string StageSafetyMonitor::trip_message() const {
  const auto trip = this->trip();
  return trip ? "interlock " + describe(*trip, device_) : std::string();
}

bool StageSafetyMonitor::safe_state_confirmed() const {
  std::lock_guard lock(mutex_);
  return confirmed_;
}

linkam::SafeState StageSafetyMonitor::exit_safe_state(linkam::SafeState configured) const {
  std::lock_guard lock(mutex_);
  return trip_ ? trip_->action : configured;
}

}  // namespace glasslab::acquisition::safety
