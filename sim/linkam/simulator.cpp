#include "sim/linkam/simulator.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>

#include <poll.h>
#include <unistd.h>

#include <fmt/format.h>

#include "core/error.hpp"

namespace glasslab::sim::linkam {

namespace {

constexpr int kTickMs = 10;                       // wall time between physics/fault checks when idle
constexpr std::size_t kMaxCommandBytes = 64;      // no T95 command is longer; beyond this it is noise
// The simulated detector follows this log as it grows to model each frame at the true T at mid-exposure:
// at x100 a 12 s frame lasts 120 ms of wall time, so the log must not lag by more than a few ms.
constexpr auto kTruthFlushInterval = std::chrono::milliseconds(10);

ControllerOptions controller_options(const LinkamSimOptions& options) {
  ControllerOptions controller;
  controller.thermal = options.thermal;
  controller.thermal.ambient_K = options.ambient_K;
  controller.initial_K = options.initial_K;
  controller.seed = options.seed;
  controller.noise_K = options.noise_K;
  controller.pump_auto_at_power_on = options.pump_auto_at_power_on;
  return controller;
}

std::shared_ptr<const Clock> make_clock(const LinkamSimOptions& options) {
  if (options.clock) return options.clock;
  if (!(options.speed > 0.0) || !std::isfinite(options.speed))
    throw UsageError(fmt::format("simulated Linkam T95: --speed {} must be a positive number", options.speed));
  return std::make_shared<ScaledSteadyClock>(options.speed);
}

std::string json_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
    else out += c;
  }
  return out;
}

std::string hex_of(std::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes) out += fmt::format("{:02X}", c);
  return out;
}

std::string json_number(double value) { return std::isfinite(value) ? fmt::format("{:.4f}", value) : "null"; }

void write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // our reader went away: nothing sensible left to do with the text
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

LinkamSimulator::LinkamSimulator(LinkamSimOptions options)
    : options_(std::move(options)),
      clock_(make_clock(options_)),
      origin_mono_ns_(clock_->mono_ns()),
      controller_(controller_options(options_)),
      link_(options_.link_path),
      garbage_rng_(options_.seed ^ 0x9E3779B97F4A7C15ULL),
      control_input_open_(options_.control_in_fd >= 0) {
  for (const auto& spec : options_.faults) scheduled_.push_back(parse_fault_spec(spec));
  std::stable_sort(scheduled_.begin(), scheduled_.end(),
                   [](const ScheduledFault& a, const ScheduledFault& b) { return a.at_s < b.at_s; });
  if (!options_.truth_log_path.empty()) {
    truth_log_ = std::fopen(options_.truth_log_path.c_str(), "w");
    if (!truth_log_)
      throw DeviceError(fmt::format("simulated Linkam T95: cannot write --truth-log {}: {}", options_.truth_log_path,
                                    std::strerror(errno)));
    std::fputs("t_s,T_K,setpoint_K,state,clock_mono_ns\n", truth_log_);
    controller_.set_truth_sink(options_.truth_interval_s,
                               [this](const ControllerSnapshot& s) { write_truth_line(s); });
  }
  if (!options_.reply_log_path.empty()) {
    reply_log_ = std::fopen(options_.reply_log_path.c_str(), "w");
    if (!reply_log_)
      throw DeviceError(fmt::format("simulated Linkam T95: cannot write --reply-log {}: {}", options_.reply_log_path,
                                    std::strerror(errno)));
    std::fputs("t_mono_ns,kind,data,fate\n", reply_log_);
    log_reply_event(origin_mono_ns_, "start", fmt::format("{:.2f}", options_.initial_K), "");
  }
  pty_ = std::make_unique<PtyEndpoint>();
  link_.point_to(pty_->slave_path());
}

LinkamSimulator::~LinkamSimulator() {
  if (truth_log_) std::fclose(truth_log_);
  if (reply_log_) std::fclose(reply_log_);
  link_.remove();
}

std::string LinkamSimulator::device_path() const { return link_.path(); }

std::string LinkamSimulator::pty_path() const {
  std::lock_guard lock(mutex_);
  return pty_ ? pty_->slave_path() : std::string();
}

double LinkamSimulator::experiment_time_s() const {
  return static_cast<double>(clock_->mono_ns() - origin_mono_ns_) * 1e-9;
}

void LinkamSimulator::write_truth_line(const ControllerSnapshot& s) {
  // clock_mono_ns is the shared clock's time of this instant, to line the truth up with an
  // engine's records (exact when the engine runs in-process on the same Clock).
  const auto mono_ns = origin_mono_ns_ + static_cast<std::int64_t>(std::llround(s.t_s * 1e9));
  fmt::print(truth_log_, "{:.3f},{:.4f},{},{},{}\n", s.t_s, s.sample_K,
             std::isfinite(s.setpoint_K) ? fmt::format("{:.4f}", s.setpoint_K) : "nan", to_string(s.state), mono_ns);
}

void LinkamSimulator::advance_locked() {
  controller_.advance_to(std::max(experiment_time_s(), controller_.now_s()));
}

void LinkamSimulator::run(const std::atomic<bool>& stop) {
  while (!stop.load()) {
    pollfd fds[2] = {};
    nfds_t count = 0;
    int pty_index = -1;
    int control_index = -1;
    int timeout_ms = kTickMs;
    {
      std::lock_guard lock(mutex_);
      if (pty_) {
        pty_index = static_cast<int>(count);
        fds[count++] = pollfd{pty_->master_fd(), POLLIN, 0};
      }
      timeout_ms = poll_timeout_ms_locked();
    }
    if (control_input_open_) {
      control_index = static_cast<int>(count);
      fds[count++] = pollfd{options_.control_in_fd, POLLIN, 0};
    }
    const int ready = ::poll(fds, count, timeout_ms);
    if (ready < 0 && errno != EINTR)
      throw DeviceError(fmt::format("simulated Linkam T95: poll failed: {}", std::strerror(errno)));

    {
      std::lock_guard lock(mutex_);
      advance_locked();
      apply_due_scheduled_faults_locked();
      // Read before serving a drop: bytes already on the wire when the cable goes are lost
      // with it, but those that arrived before are answered (or queued) first.
      if (ready > 0 && pty_index >= 0 && fds[pty_index].revents && pty_ && pty_->master_fd() == fds[pty_index].fd)
        read_line_locked();
      service_drop_locked();
      flush_delayed_locked();
      if (truth_log_ && std::chrono::steady_clock::now() - last_truth_flush_ > kTruthFlushInterval) {
        std::fflush(truth_log_);
        last_truth_flush_ = std::chrono::steady_clock::now();
      }
    }
    if (ready > 0 && control_index >= 0 && fds[control_index].revents) read_control_input();
  }
  std::lock_guard lock(mutex_);
  // The truth log ends when the simulator stops, not at its last tick: a command answered just
  // before (a safe-state E) shows in it.
  advance_locked();
  if (truth_log_) std::fflush(truth_log_);
  // The reply log ends with the state the controller is left in: the soak's "left safe" check.
  if (reply_log_) {
    for (const auto& reply : delayed_)
      if (reply.status_at_ns >= 0) log_reply_event(reply.status_at_ns, "reply", hex_of(reply.bytes), "unsent_at_exit");
    log_reply_event(clock_->mono_ns(), "exit", to_string(controller_.snapshot().state), "");
    std::fflush(reply_log_);
  }
  link_.remove();
}

int LinkamSimulator::poll_timeout_ms_locked() const {
  int timeout_ms = kTickMs;
  if (!delayed_.empty()) {
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(delayed_.front().due -
                                                                   std::chrono::steady_clock::now());
    timeout_ms = std::clamp(static_cast<int>(wait.count()), 0, timeout_ms);
  }
  return timeout_ms;
}

void LinkamSimulator::read_control_input() {
  char buffer[512];
  const ssize_t n = ::read(options_.control_in_fd, buffer, sizeof buffer);
  if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
    control_input_open_ = false;  // stdin closed: keep serving the line, stop listening
    return;
  }
  if (n < 0) return;
  control_input_.append(buffer, static_cast<std::size_t>(n));
  for (auto newline = control_input_.find('\n'); newline != std::string::npos; newline = control_input_.find('\n')) {
    const std::string line = control_input_.substr(0, newline);
    control_input_.erase(0, newline + 1);
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      const std::string answer = apply_fault_command(line);
      if (!answer.empty() && options_.control_out_fd >= 0) write_all(options_.control_out_fd, answer + "\n");
    } catch (const Error& e) {
      fmt::print(stderr, "{}\n", e.what());
    }
  }
}

std::string LinkamSimulator::apply_fault_command(std::string_view line) {
  const FaultCommand command = parse_fault_command(line);
  std::lock_guard lock(mutex_);
  advance_locked();
  if (command.kind != FaultKind::status) log_reply_event(clock_->mono_ns(), "fault", line, "");
  return apply_locked(command);
}

std::string LinkamSimulator::apply_locked(const FaultCommand& command) {
  const double now_s = controller_.now_s();
  switch (command.kind) {
    case FaultKind::status: return status_json_locked();
    case FaultKind::drop:
      // Served by the run loop (it owns the file descriptors it polls).
      drop_requested_ = true;
      drop_duration_s_ = command.value;
      break;
    case FaultKind::garbage: garbage_left_ = static_cast<int>(command.value); break;
    case FaultKind::late: late_ms_ = command.value; break;
    case FaultKind::silent: silent_until_s_ = command.value > 0.0 ? now_s + command.value : -1.0; break;
    case FaultKind::open_circuit: controller_.set_open_circuit(command.on); break;
    case FaultKind::runaway: controller_.set_runaway(command.on); break;
    case FaultKind::overshoot: controller_.set_overshoot_K(command.value); break;
  }
  return {};
}

void LinkamSimulator::apply_due_scheduled_faults_locked() {
  while (next_scheduled_ < scheduled_.size() && scheduled_[next_scheduled_].at_s <= controller_.now_s()) {
    const auto& due = scheduled_[next_scheduled_++];
    const FaultCommand command = parse_fault_command(due.command);
    if (command.kind != FaultKind::status) log_reply_event(clock_->mono_ns(), "fault", due.command, "");
    const std::string answer = apply_locked(command);
    if (!answer.empty() && options_.control_out_fd >= 0) write_all(options_.control_out_fd, answer + "\n");
  }
}

void LinkamSimulator::service_drop_locked() {
  const double now_s = controller_.now_s();
  if (drop_requested_) {
    drop_requested_ = false;
    if (pty_) {
      // The new pty is opened while the old one still exists, so it gets a different name; the
      // old master is closed, so whoever holds the old slave sees a hangup (EOF/EIO, POLLHUP).
      next_pty_ = std::make_unique<PtyEndpoint>();
      link_.remove();
      pty_.reset();
      for (const auto& reply : delayed_)
        if (reply.status_at_ns >= 0) log_reply_event(reply.status_at_ns, "reply", hex_of(reply.bytes), "lost_in_drop");
      delayed_.clear();
      pending_input_.clear();
      ++drops_done_;
      fmt::print(stderr, "simulated Linkam T95: line dropped at t={:.1f} s for {:.1f} s\n", now_s, drop_duration_s_);
    }
    reconnect_at_s_ = now_s + drop_duration_s_;  // a drop during a drop extends it
  }
  if (!pty_ && reconnect_at_s_ >= 0.0 && now_s >= reconnect_at_s_) {
    pty_ = std::move(next_pty_);
    link_.point_to(pty_->slave_path());
    reconnect_at_s_ = -1.0;
    fmt::print(stderr, "simulated Linkam T95: line back at t={:.1f} s on {}\n", now_s, pty_->slave_path());
  }
}

void LinkamSimulator::read_line_locked() {
  char buffer[256];
  while (pty_) {
    const ssize_t n = ::read(pty_->master_fd(), buffer, sizeof buffer);
    if (n <= 0) return;  // EAGAIN: drained (we hold the slave, so no hangup while nobody listens)
    for (ssize_t i = 0; i < n; ++i) {
      const char byte = buffer[i];
      if (byte == '\r') {
        const std::string line = std::move(pending_input_);
        pending_input_.clear();
        handle_line_locked(line);
      } else if (pending_input_.size() < kMaxCommandBytes) {
        pending_input_ += byte;
      } else {
        // A runaway line without CR is noise on the cable; the command it ends in is invalid.
        pending_input_ = std::string(1, '\x7F');
      }
    }
  }
}

void LinkamSimulator::handle_line_locked(std::string_view line) {
  // Silent: the controller hears nothing (commands are neither executed nor answered).
  if (silent_until_s_ >= 0.0 && controller_.now_s() < silent_until_s_) return;
  auto reply = controller_.handle_command(line);
  if (reply) send_reply_locked(std::move(*reply), line == "T" ? clock_->mono_ns() : -1);
}

void LinkamSimulator::log_reply_event(std::int64_t mono_ns, std::string_view kind, std::string_view data,
                                      std::string_view fate) {
  if (!reply_log_) return;
  fmt::print(reply_log_, "{},{},{},{}\n", mono_ns, kind, data, fate);
}

void LinkamSimulator::send_reply_locked(std::string reply, std::int64_t status_at_ns) {
  if (garbage_left_ > 0) {
    --garbage_left_;
    // The reading this T would have carried never leaves the controller: garbage does instead.
    if (status_at_ns >= 0) log_reply_event(status_at_ns, "reply", hex_of(reply), "garbled");
    reply = garbage_reply_locked();
    status_at_ns = -1;
  }
  if (late_ms_ > 0.0 || !delayed_.empty()) {
    // Late replies keep their order: one queued behind a late one waits for it.
    auto due = std::chrono::steady_clock::now() +
               std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                   std::chrono::duration<double, std::milli>(late_ms_));
    if (!delayed_.empty()) due = std::max(due, delayed_.back().due);
    delayed_.push_back(DelayedReply{due, std::move(reply), status_at_ns});
    flush_delayed_locked();
    return;
  }
  write_to_line_locked(DelayedReply{{}, std::move(reply), status_at_ns});
}

void LinkamSimulator::flush_delayed_locked() {
  const auto now = std::chrono::steady_clock::now();
  while (!delayed_.empty() && delayed_.front().due <= now) {
    write_to_line_locked(delayed_.front());
    delayed_.pop_front();
  }
}

void LinkamSimulator::write_to_line_locked(const DelayedReply& reply) {
  // Non-blocking: a peer that stopped reading loses replies, as on a real line; never stall.
  const ssize_t n = pty_ ? ::write(pty_->master_fd(), reply.bytes.data(), reply.bytes.size()) : -1;
  if (reply.status_at_ns >= 0)
    log_reply_event(reply.status_at_ns, "reply", hex_of(reply.bytes),
                    n == static_cast<ssize_t>(reply.bytes.size()) ? "sent" : "lost_on_line");
}

std::string LinkamSimulator::garbage_reply_locked() {
  // 3..16 random bytes, never a CR, then a CR: a reply-shaped frame no decoder may accept
  // (byte 1 has bit 7 clear, which EB1 always has set).
  std::uniform_int_distribution<int> length(3, 16);
  std::uniform_int_distribution<int> value(0, 255);
  std::string bytes(static_cast<std::size_t>(length(garbage_rng_)), '\0');
  for (char& b : bytes) {
    int v = value(garbage_rng_);
    if (v == '\r') v = '?';
    b = static_cast<char>(v);
  }
  bytes[1] = static_cast<char>(static_cast<unsigned char>(bytes[1]) & 0x7F);
  if (bytes[1] == '\r') bytes[1] = '?';
  return bytes + '\r';
}

ControllerSnapshot LinkamSimulator::snapshot() {
  std::lock_guard lock(mutex_);
  advance_locked();
  return controller_.snapshot();
}

std::string LinkamSimulator::status_json() {
  std::lock_guard lock(mutex_);
  advance_locked();
  return status_json_locked();
}

std::string LinkamSimulator::status_json_locked() const {
  const ControllerSnapshot s = controller_.snapshot();
  const double now_s = s.t_s;
  return fmt::format(
      "{{\"t_s\":{},\"T_K\":{},\"setpoint_K\":{},\"limit_K\":{},\"rate_K_per_min\":{},\"state\":\"{}\","
      "\"sb1\":{},\"eb1\":{},\"pump_mode\":\"{}\",\"pump_speed\":{},\"manual_pump_speed\":{},\"awake\":{},"
      "\"link\":\"{}\",\"pty\":\"{}\",\"faults\":{{\"dropped\":{},\"drops\":{},\"garbage_left\":{},\"late_ms\":{},"
      "\"silent\":{},\"open_circuit\":{},\"runaway\":{},\"overshoot_K\":{}}}}}",
      json_number(now_s), json_number(s.sample_K), json_number(s.setpoint_K), json_number(s.ramp_limit_K),
      json_number(s.ramp_rate_K_per_min), to_string(s.state), static_cast<int>(s.state), static_cast<int>(s.eb1),
      s.pump_mode == PumpMode::automatic ? "auto" : "manual", s.pump_speed, s.manual_pump_speed, s.awake,
      json_escape(link_.path()), json_escape(pty_ ? pty_->slave_path() : std::string()), pty_ == nullptr, drops_done_,
      garbage_left_, json_number(late_ms_), silent_until_s_ >= 0.0 && now_s < silent_until_s_, s.open_circuit,
      s.runaway, json_number(s.overshoot_K));
}

}  // namespace glasslab::sim::linkam
