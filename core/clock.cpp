#include "core/clock.hpp"

#include <ctime>
#include <thread>

#include <fmt/format.h>

namespace glasslab {

namespace {
std::int64_t steady_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
std::int64_t system_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

void Clock::sleep_for_s(double experiment_seconds) const {
  sleep_until_mono_ns(mono_ns() + static_cast<std::int64_t>(experiment_seconds * 1e9));
}

std::chrono::nanoseconds Clock::wall_duration(double experiment_seconds) const {
  return std::chrono::nanoseconds(static_cast<std::int64_t>(experiment_seconds * 1e9 / speed()));
}

ScaledSteadyClock::ScaledSteadyClock(double speed)
    : speed_(speed > 0 ? speed : 1.0), steady_origin_ns_(steady_now_ns()), utc_origin_ns_(system_now_ns()) {}

ScaledSteadyClock::ScaledSteadyClock(double speed, std::int64_t steady_origin_ns)
    : ScaledSteadyClock(speed) {
  // UTC at the origin: now minus the host steady time elapsed since it.
  utc_origin_ns_ -= steady_now_ns() - steady_origin_ns;
  steady_origin_ns_ = steady_origin_ns;
}

std::int64_t ScaledSteadyClock::mono_ns() const {
  const auto elapsed = static_cast<double>(steady_now_ns() - steady_origin_ns_);
  return steady_origin_ns_ + static_cast<std::int64_t>(elapsed * speed_);
}

std::int64_t ScaledSteadyClock::utc_ns_at(std::int64_t mono) const {
  return utc_origin_ns_ + (mono - steady_origin_ns_);
}

void ScaledSteadyClock::sleep_until_mono_ns(std::int64_t mono) const {
  const auto experiment_ahead = static_cast<double>(mono - steady_origin_ns_);
  const auto wall_target_ns = steady_origin_ns_ + static_cast<std::int64_t>(experiment_ahead / speed_);
  std::this_thread::sleep_until(std::chrono::steady_clock::time_point(std::chrono::nanoseconds(wall_target_ns)));
}

ManualClock::ManualClock(std::int64_t start_mono_ns, std::int64_t utc_origin_ns)
    : now_ns_(start_mono_ns), start_ns_(start_mono_ns), utc_origin_ns_(utc_origin_ns) {}

std::int64_t ManualClock::mono_ns() const { return now_ns_; }
std::int64_t ManualClock::utc_ns_at(std::int64_t mono) const { return utc_origin_ns_ + (mono - start_ns_); }
void ManualClock::sleep_until_mono_ns(std::int64_t mono) const {
  if (mono > now_ns_) now_ns_ = mono;
}
void ManualClock::advance_s(double seconds) { now_ns_ += static_cast<std::int64_t>(seconds * 1e9); }

std::string format_utc(std::int64_t utc_ns) {
  std::int64_t secs = utc_ns / 1'000'000'000;
  std::int64_t frac_ns = utc_ns % 1'000'000'000;
  if (frac_ns < 0) {
    frac_ns += 1'000'000'000;
    --secs;
  }
  const std::time_t tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, frac_ns / 1000);
}

}  // namespace glasslab
