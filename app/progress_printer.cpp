#include "app/progress_printer.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cmath>

#include <fmt/format.h>

#include "core/clock.hpp"

namespace glasslab::app {

namespace {

using acquisition::control::LiveStatus;

constexpr auto kTerminalRefresh = std::chrono::milliseconds(200);
constexpr auto kPlainInterval = std::chrono::seconds(10);

/// Columns of the terminal, 80 when unknown; lines longer than this would wrap and break the
/// cursor arithmetic of the in-place redraw.
std::size_t terminal_columns(std::FILE* out) {
  winsize size{};
  if (ioctl(fileno(out), TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 80;
}

/// Cuts a UTF-8 line to `columns` code points (every character here is one column wide).
std::string fit_to_columns(const std::string& line, std::size_t columns) {
  std::size_t seen = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if ((static_cast<unsigned char>(line[i]) & 0xC0) == 0x80) continue;  // continuation byte
    if (++seen > columns) return line.substr(0, i);
  }
  return line;
}


std::string control_label(const LiveStatus& s) {
  if (s.control_state == "paused") return "PAUSED";
  if (s.control_state == "pause_requested") return "pause requested";
  if (s.control_state == "aborting") return "ABORTING";
  return "";
}

std::string step_text(const LiveStatus& s) {
  if (s.step_index < 0) return "starting";
  return fmt::format("step {}/{} {}", s.step_index + 1, s.step_count, s.step_kind);
}

std::string seq_text(const LiveStatus& s) {
  if (!s.last_seq_kB_per_atom) return "";
  std::string text = fmt::format("last Seq {:.4f} kB/atom", *s.last_seq_kB_per_atom);
  if (s.last_seq_T_K) text += fmt::format(" at {:.1f} K", *s.last_seq_T_K);
  return text;
}

}  // namespace

std::string format_duration(double seconds) {
  const long s = std::lround(std::max(0.0, seconds));
  if (s >= 3600) return fmt::format("{} h {:02} min", s / 3600, (s % 3600) / 60);
  if (s >= 60) return fmt::format("{} min {:02} s", s / 60, s % 60);
  return fmt::format("{} s", s);
}

std::vector<std::string> ProgressPrinter::panel_lines(const LiveStatus& s, const std::string& key_hint) {
  std::vector<std::string> lines;
  std::string head = fmt::format("{} | {:5.1f}% | {} left", step_text(s), s.run_fraction * 100.0,
                                 format_duration(s.remaining_s));
  if (!s.step_description.empty()) head += " | " + s.step_description;
  if (const auto label = control_label(s); !label.empty()) head = fmt::format("[{}] {}", label, head);
  lines.push_back(head);
  if (s.T_K)
    lines.push_back(fmt::format("stage T {:7.2f} K  setpoint {:7.2f} K  rate {:5.1f} K/min  {}  | faults {}", *s.T_K,
                                s.setpoint_K.value_or(NAN), s.rate_K_per_min.value_or(NAN), s.stage_state, s.faults));
  if (s.frames > 0 || s.last_seq_kB_per_atom)
    lines.push_back(fmt::format("X-ray {} frames ({} ok)  {}", s.frames, s.frames_ok, seq_text(s)));
  if (!s.dma_sweep.empty()) {
    std::string dma = fmt::format("DMA sweep {}/{} {}", s.dma_sweep_number, s.dma_sweep_count, s.dma_sweep);
    if (s.dma_frequency_Hz) dma += fmt::format("  {:g} Hz", *s.dma_frequency_Hz);
    if (s.dma_T_K) dma += fmt::format("  {:.2f} K", *s.dma_T_K);
    dma += fmt::format("  {} points", s.dma_points);
    if (!s.T_K) dma += fmt::format("  | faults {}", s.faults);
    lines.push_back(dma);
  }
  if (s.control_state == "pause_requested" && !s.pause_note.empty()) lines.push_back("pause: " + s.pause_note);
  if (!key_hint.empty()) lines.push_back(key_hint);
  return lines;
}

std::string ProgressPrinter::plain_line(const LiveStatus& s) {
  std::string line = fmt::format("{} {:.1f}% {} left", step_text(s), s.run_fraction * 100.0, format_duration(s.remaining_s));
  if (s.T_K)
    line += fmt::format(" | T {:.2f} K setpoint {:.2f} K rate {:.1f} K/min {}", *s.T_K, s.setpoint_K.value_or(NAN),
                        s.rate_K_per_min.value_or(NAN), s.stage_state);
  if (s.frames > 0) line += fmt::format(" | frames {} ({} ok)", s.frames, s.frames_ok);
  if (const auto seq = seq_text(s); !seq.empty()) line += " " + seq;
  if (!s.dma_sweep.empty()) {
    line += fmt::format(" | DMA sweep {}/{} {}", s.dma_sweep_number, s.dma_sweep_count, s.dma_sweep);
    if (s.dma_frequency_Hz) line += fmt::format(" {:g} Hz", *s.dma_frequency_Hz);
    if (s.dma_T_K) line += fmt::format(" {:.2f} K", *s.dma_T_K);
  }
  line += fmt::format(" | faults {}", s.faults);
  if (const auto label = control_label(s); !label.empty()) line += " | " + label;
  return line;
}

ProgressPrinter::ProgressPrinter(std::FILE* out, const acquisition::control::LiveStatusBoard& board, bool quiet)
    : out_(out), board_(board), quiet_(quiet), is_terminal_(isatty(fileno(out)) != 0) {}

ProgressPrinter::~ProgressPrinter() { finish(); }

void ProgressPrinter::set_key_hint(std::string hint) {
  std::lock_guard lock(mutex_);
  key_hint_ = std::move(hint);
}

void ProgressPrinter::start() {
  if (quiet_ || thread_.joinable()) return;
  thread_ = std::thread([this] { refresh_loop(); });
}

void ProgressPrinter::refresh_loop() {
  std::unique_lock lock(mutex_);
  while (!stop_) {
    const LiveStatus status = board_.snapshot();
    if (is_terminal_) draw_locked(status);
    else print_plain_locked(status);
    wake_.wait_for(lock, kTerminalRefresh, [this] { return stop_; });
  }
}

void ProgressPrinter::clear_panel_locked() {
  if (panel_lines_drawn_ == 0) return;
  // Back to the panel's first line, then clear to the end of the screen.
  std::string codes = "\r";
  for (std::size_t i = 1; i < panel_lines_drawn_; ++i) codes += "\033[1A";
  fmt::print(out_, "{}\033[J", codes);
  panel_lines_drawn_ = 0;
}

void ProgressPrinter::draw_locked(const LiveStatus& status) {
  const std::size_t columns = terminal_columns(out_);
  std::vector<std::string> lines;
  for (const auto& line : panel_lines(status, key_hint_)) lines.push_back(fit_to_columns(line, columns - 1));
  clear_panel_locked();
  for (std::size_t i = 0; i < lines.size(); ++i) fmt::print(out_, "{}{}", i ? "\n" : "", lines[i]);
  panel_lines_drawn_ = lines.size();
  last_panel_ = lines;
  std::fflush(out_);
}

void ProgressPrinter::print_plain_locked(const LiveStatus& status) {
  const auto now = std::chrono::steady_clock::now();
  const std::string key = fmt::format("{}/{}", status.step_index, status.control_state);
  if (status.step_index < 0) return;
  if (key == last_plain_key_ && now - last_plain_ < kPlainInterval) return;
  last_plain_ = now;
  last_plain_key_ = key;
  // Stamped on the experiment clock, as the events are (a dry run's clock runs `speed` times faster).
  fmt::print(out_, "{} {}\n", format_utc(status.t_utc_ns).substr(0, 19) + "Z", plain_line(status));
  std::fflush(out_);
}

void ProgressPrinter::on_event(const acquisition::Event& e) {
  if (e.level < acquisition::EventLevel::warning && e.source != "operator") return;
  message(fmt::format("{} {} [{}] {}: {}", format_utc(e.t_utc_ns).substr(0, 19) + "Z", acquisition::to_string(e.level),
                      e.source, e.kind, e.message));
}

void ProgressPrinter::message(const std::string& line) {
  std::lock_guard lock(mutex_);
  const bool redraw = panel_lines_drawn_ > 0;
  clear_panel_locked();
  fmt::print(out_, "{}\n", line);
  if (redraw && !finished_) {
    for (std::size_t i = 0; i < last_panel_.size(); ++i) fmt::print(out_, "{}{}", i ? "\n" : "", last_panel_[i]);
    panel_lines_drawn_ = last_panel_.size();
  }
  std::fflush(out_);
}

void ProgressPrinter::finish() {
  {
    std::lock_guard lock(mutex_);
    if (finished_) return;
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mutex_);
  finished_ = true;
  if (!quiet_ && is_terminal_ && panel_lines_drawn_ > 0) {
    // The final panel stays on screen, without the key hint (the keys no longer act).
    auto lines = panel_lines(board_.snapshot(), "");
    clear_panel_locked();
    for (const auto& line : lines) fmt::print(out_, "{}\n", fit_to_columns(line, terminal_columns(out_) - 1));
  }
  std::fflush(out_);
}

}  // namespace glasslab::app
