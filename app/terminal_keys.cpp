#include "app/terminal_keys.hpp"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>

namespace glasslab::app {

namespace {
constexpr auto kAbortConfirmWindow = std::chrono::seconds(5);
}

TerminalKeys::TerminalKeys(acquisition::control::RunControl& control, ProgressPrinter& printer)
    : control_(control), printer_(printer) {
  if (!isatty(STDIN_FILENO) || tcgetpgrp(STDIN_FILENO) != getpgrp()) return;
  if (tcgetattr(STDIN_FILENO, &saved_) != 0) return;
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  sigaction(SIGTTIN, &ignore, &saved_ttin_);
  sigaction(SIGTTOU, &ignore, &saved_ttou_);
  termios keys = saved_;
  keys.c_lflag &= static_cast<tcflag_t>(~(ICANON | ECHO));
  keys.c_cc[VMIN] = 1;
  keys.c_cc[VTIME] = 0;
  if (tcsetattr(STDIN_FILENO, TCSANOW, &keys) != 0) {
    sigaction(SIGTTIN, &saved_ttin_, nullptr);
    sigaction(SIGTTOU, &saved_ttou_, nullptr);
    return;
  }
  const char* tty = ttyname(STDIN_FILENO);
  origin_ = {"terminal", tty ? tty : ""};
  active_ = true;
  thread_ = std::thread([this] { loop(); });
}

TerminalKeys::~TerminalKeys() {
  if (!active_) return;
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
  tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  sigaction(SIGTTIN, &saved_ttin_, nullptr);
  sigaction(SIGTTOU, &saved_ttou_, nullptr);
}

void TerminalKeys::loop() {
  while (!stop_.load()) {
    pollfd fd{STDIN_FILENO, POLLIN, 0};
    if (poll(&fd, 1, 100) <= 0) continue;
    char key = 0;
    const ssize_t n = read(STDIN_FILENO, &key, 1);
    if (n == 1) {
      on_key(key);
    } else if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
      // End of input, or EIO while in the background: look again a little later.
      for (int i = 0; i < 5 && !stop_.load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

void TerminalKeys::on_key(char key) {
  using acquisition::control::ControlAction;
  const auto now = std::chrono::steady_clock::now();
  if (abort_prompt_since_) {
    const bool in_time = now - *abort_prompt_since_ <= kAbortConfirmWindow;
    abort_prompt_since_.reset();
    if ((key == 'y' || key == 'Y') && in_time) {
      control_.request(ControlAction::abort, origin_);
    } else {
      printer_.message("abort cancelled");
    }
    return;
  }
  switch (key) {
    case 'p': case 'P': control_.request(ControlAction::pause, origin_); break;
    case 'r': case 'R': control_.request(ControlAction::resume, origin_); break;
    case 'a': case 'A':
      abort_prompt_since_ = now;
      printer_.message("abort the run? press y within 5 s to confirm, any other key cancels");
      break;
    default: break;
  }
}

}  // namespace glasslab::app
