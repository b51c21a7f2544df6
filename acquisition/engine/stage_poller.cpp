#include "acquisition/engine/stage_poller.hpp"

#include <fmt/format.h>

namespace glasslab::acquisition {

namespace {
// A poller silent this long (wall) without a line disturbance is worth an event of its own.
constexpr double kLatePollWall_s = 1.0;
// Skipped poll slots are summarised at most this often (wall time).
constexpr auto kRateSummaryWall = std::chrono::seconds(60);
}  // namespace

StageReading to_stage_reading(const linkam::StageStatus& status, double setpoint_K, double rate_K_per_min,
                              std::int64_t t_mono_ns, std::int64_t t_utc_ns, int step_index) {
  StageReading r;
  r.t_mono_ns = t_mono_ns;
  r.t_utc_ns = t_utc_ns;
  r.T_K = status.temperature_K;
  r.setpoint_K = setpoint_K;
  r.rate_K_per_min = rate_K_per_min;
  r.status_code = status.status_byte;
  r.status = std::string(linkam::to_string(status.state));
  r.error_bits = status.error_bits;
  r.pump_speed = status.pump_speed;
  r.pump_automatic = status.pump_automatic;
  r.step_index = step_index;
  return r;
}

StagePoller::StagePoller(linkam::LinkamDevice& stage, Recorder& recorder, const Clock& clock, double poll_hz)
    : stage_(stage),
      recorder_(recorder),
      clock_(clock),
      period_ns_(static_cast<std::int64_t>(1e9 / (poll_hz > 0 ? poll_hz : 2.0))) {}

StagePoller::~StagePoller() { stop(); }

void StagePoller::start() {
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { poll_loop(); });
}

void StagePoller::stop() noexcept {
  stop_ = true;
  new_reading_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::optional<StageSnapshot> StagePoller::latest() const {
  std::lock_guard lock(mutex_);
  return latest_;
}

std::optional<std::string> StagePoller::fatal_error() const {
  std::lock_guard lock(mutex_);
  return fatal_error_;
}

std::optional<StageSnapshot> StagePoller::wait_for_reading_after(std::uint64_t after_sequence,
                                                                 std::chrono::milliseconds wall_timeout) const {
  std::unique_lock lock(mutex_);
  new_reading_.wait_for(lock, wall_timeout, [&] {
    return stop_.load() || fatal_error_.has_value() || (latest_ && latest_->sequence > after_sequence);
  });
  if (latest_ && latest_->sequence > after_sequence) return latest_;
  return std::nullopt;
}

void StagePoller::record_event_at(std::int64_t t_mono_ns, EventLevel level, std::string kind, std::string message) {
  recorder_.record(Event{t_mono_ns, clock_.utc_ns_at(t_mono_ns), level, "engine", std::move(kind), std::move(message)});
}

void StagePoller::record_gap(std::int64_t from_mono_ns, std::int64_t to_mono_ns, const std::string& why) {
  ++gaps_;
  const double missed_polls = static_cast<double>(to_mono_ns - from_mono_ns) / static_cast<double>(period_ns_);
  record_event_at(to_mono_ns, EventLevel::warning, "gap",
                  fmt::format("stage readings missing from t_mono={:.3f} s to {:.3f} s ({:.1f} s, ~{:.0f} polls): {}",
                              from_mono_ns * 1e-9, to_mono_ns * 1e-9, (to_mono_ns - from_mono_ns) * 1e-9,
                              missed_polls, why));
}

void StagePoller::wait_until(std::int64_t deadline_mono_ns) const {
  // A sleeping thread wakes up to a millisecond late, which would show as spacing jitter at 10 Hz
  // (bench/run: p99 < 2 ms). Sleep until 0.5 ms (wall) before the deadline, then spin: 0.5 % of one
  // core at 10 Hz, bought for evenly spaced readings.
  const auto spin_window_ns = static_cast<std::int64_t>(5e5 * clock_.speed());
  clock_.sleep_until_mono_ns(deadline_mono_ns - spin_window_ns);
  while (!stop_ && clock_.mono_ns() < deadline_mono_ns) {
  }
}

void StagePoller::account_interval(std::int64_t previous_ns, std::uint64_t previous_disturbances,
                                   std::int64_t stamp_ns, std::uint64_t disturbances) {
  if (disturbances != previous_disturbances) {
    record_gap(previous_ns, stamp_ns,
               fmt::format("the line was disturbed {} time(s) in between (comms fault and recovery, or a "
                           "safe-state handshake): replies sent meanwhile were not stored (see the linkam events)",
                           disturbances - previous_disturbances));
    return;
  }
  // Nothing was lost on the line: the stage answers only what is asked. A long silence of the
  // poller itself (a busy host, a stuck call) is still worth a line in the morning.
  const double interval_wall_s = static_cast<double>(stamp_ns - previous_ns) * 1e-9 / clock_.speed();
  if (stamp_ns - previous_ns > period_ns_ * 5 / 2 && interval_wall_s > kLatePollWall_s) {
    record_event_at(stamp_ns, EventLevel::warning, "poll_late",
                    fmt::format("no stage reading from t_mono={:.3f} s to {:.3f} s ({:.1f} s, {:.2f} s of wall time): "
                                "the host polled late; no reply was lost on the line",
                                previous_ns * 1e-9, stamp_ns * 1e-9, (stamp_ns - previous_ns) * 1e-9, interval_wall_s));
  }
}

void StagePoller::record_rate_summary(std::int64_t now_mono_ns) {
  if (rate_.skipped > 0 && rate_.polls > 0) {
    const double span_s = static_cast<double>(now_mono_ns - rate_.from_mono_ns) * 1e-9;
    const double round_trip_s = rate_.round_trip_wall_s / static_cast<double>(rate_.polls);
    record_event_at(now_mono_ns, EventLevel::info, "poll_rate", fmt::format(
        "stage polled at {:.2f} Hz of {:.2f} Hz asked from t_mono={:.1f} s to {:.1f} s: {} poll slot(s) skipped "
        "because a reply took {:.2f} ms of wall time on average ({:.3f} s of experiment time at x{}); readings are "
        "sparser there, none was lost",
        span_s > 0 ? static_cast<double>(rate_.polls) / span_s : 0.0, 1e9 / static_cast<double>(period_ns_),
        rate_.from_mono_ns * 1e-9, now_mono_ns * 1e-9, rate_.skipped, round_trip_s * 1e3, round_trip_s * clock_.speed(),
        clock_.speed()));
  }
  rate_ = RateWindow{};
  rate_.from_mono_ns = now_mono_ns;
}

void StagePoller::poll_loop() {
  std::int64_t next_poll_ns = clock_.mono_ns();
  rate_ = RateWindow{};
  rate_.from_mono_ns = next_poll_ns;
  std::optional<std::int64_t> last_good_ns;
  std::uint64_t last_disturbances = 0;
  std::uint64_t sequence = 0;
  while (!stop_) {
    wait_until(next_poll_ns);
    if (stop_) break;
    const std::int64_t sent_ns = clock_.mono_ns();
    linkam::StageStatus status;
    try {
      status = stage_.read_status();
    } catch (const std::exception& e) {
      // The driver already flushed, resynchronised and reconnected with back-off; it gives up only
      // when that is exhausted. That ends polling: the engine sees fatal_error() and stops the run.
      record_gap(last_good_ns.value_or(sent_ns), clock_.mono_ns(), e.what());
      record_rate_summary(clock_.mono_ns());
      std::lock_guard lock(mutex_);
      fatal_error_ = e.what();
      new_reading_.notify_all();
      return;
    }
    const std::int64_t received_ns = clock_.mono_ns();
    // A reading is stamped when its request left: the controller answers the moment a T arrives,
    // however long the reply then takes on the line (a slow adapter). A reply that came after the
    // driver's recovery answers the recovery's last T, so it is stamped when it arrived.
    const bool disturbed = last_good_ns && status.line_disturbances != last_disturbances;
    const std::int64_t stamp_ns = disturbed ? received_ns : sent_ns;
    if (last_good_ns) account_interval(*last_good_ns, last_disturbances, stamp_ns, status.line_disturbances);
    last_disturbances = status.line_disturbances;
    // A stale reply (late past the timeout) may stand for a fresh one after a recovery: the
    // interlocks' rate fit does not reach across the disturbance.
    if (disturbed && on_disturbance_) on_disturbance_();
    const StageReading reading = to_stage_reading(status, stage_.limit_K(), stage_.rate_K_per_min(), stamp_ns,
                                                  clock_.utc_ns_at(stamp_ns), step_index_.load());
    recorder_.record(reading);
    if (observer_) observer_(reading);
    ++readings_;
    last_good_ns = stamp_ns;
    {
      std::lock_guard lock(mutex_);
      latest_ = StageSnapshot{reading, received_ns, ++sequence};
    }
    new_reading_.notify_all();
    next_poll_ns += period_ns_;
    ++rate_.polls;
    rate_.round_trip_wall_s += static_cast<double>(received_ns - sent_ns) * 1e-9 / clock_.speed();
    // A reply slower than the period: skip the missed slots rather than firing a burst of polls.
    if (next_poll_ns < received_ns) {
      const std::int64_t skipped = (received_ns - next_poll_ns) / period_ns_ + 1;
      next_poll_ns += skipped * period_ns_;
      rate_.skipped += static_cast<std::uint64_t>(skipped);
      slots_skipped_total_ += static_cast<std::uint64_t>(skipped);
    }
    if (std::chrono::steady_clock::now() - rate_.wall_start > kRateSummaryWall) record_rate_summary(received_ns);
  }
  record_rate_summary(clock_.mono_ns());
}

}  // namespace glasslab::acquisition
