#include "app/progress_printer.hpp"

#include <unistd.h>

#include <cmath>

#include <fmt/format.h>

#include "core/clock.hpp"

namespace glasslab::app {

std::string format_duration(double seconds) {
  const long s = std::lround(std::max(0.0, seconds));
  if (s >= 3600) return fmt::format("{} h {:02} min", s / 3600, (s % 3600) / 60);
  if (s >= 60) return fmt::format("{} min {:02} s", s / 60, s % 60);
  return fmt::format("{} s", s);
}

ProgressPrinter::ProgressPrinter(std::FILE* out, bool quiet)
    : out_(out), quiet_(quiet), is_terminal_(isatty(fileno(out)) != 0) {}

std::string ProgressPrinter::format_line(const acquisition::RunProgress& p) const {
  return fmt::format("step {}/{} {:<5} {:5.1f}%  {} left | T {:7.2f} K  setpoint {:7.2f} K  rate {:5.1f} K/min  {}{}",
                     p.step_index + 1, p.step_count, p.step_kind, p.run_fraction * 100.0, format_duration(p.remaining_s),
                     p.T_K, p.setpoint_K, p.rate_K_per_min, p.stage_state,
                     p.faults > 0 ? fmt::format("  faults {}", p.faults) : std::string());
}

void ProgressPrinter::on_progress(const acquisition::RunProgress& p) {
  if (quiet_) return;
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  const auto interval = is_terminal_ ? std::chrono::milliseconds(200) : std::chrono::milliseconds(2000);
  if (now - last_print_ < interval) return;
  last_print_ = now;
  if (is_terminal_) {
    fmt::print(out_, "\r\033[K{}", format_line(p));
    line_open_ = true;
  } else {
    const auto utc = format_utc(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count());
    fmt::print(out_, "{} {}\n", utc.substr(0, 19) + "Z", format_line(p));
  }
  std::fflush(out_);
}

void ProgressPrinter::on_event(const acquisition::Event& e) {
  if (e.level < acquisition::EventLevel::warning) return;
  std::lock_guard lock(mutex_);
  if (line_open_) fmt::print(out_, "\n"), line_open_ = false;
  fmt::print(out_, "{} {} [{}] {}: {}\n", format_utc(e.t_utc_ns).substr(0, 19) + "Z", acquisition::to_string(e.level),
             e.source, e.kind, e.message);
  std::fflush(out_);
}

void ProgressPrinter::finish() {
  std::lock_guard lock(mutex_);
  if (line_open_) fmt::print(out_, "\n"), line_open_ = false;
  std::fflush(out_);
}

}  // namespace glasslab::app
