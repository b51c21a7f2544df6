#include "acquisition/store/process_identity.hpp"

#include <cerrno>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>

#include <signal.h>
#include <unistd.h>

namespace glasslab::acquisition {

namespace {

std::string read_boot_id() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(in, id);
  return id;
}

struct ProcStat {
  char state = '?';
  std::int64_t start_ticks = 0;
};

// /proc/<pid>/stat: "pid (comm) state ppid ... starttime(22) ...". comm may hold spaces and
// parentheses, so fields are counted after the last ')'.
std::optional<ProcStat> read_proc_stat(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  if (!in) return std::nullopt;
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(text.substr(close + 1));
  ProcStat stat;
  fields >> stat.state;  // field 3
  std::string skip;
  for (int field = 4; field < 22 && fields >> skip; ++field) {
  }
  if (!(fields >> stat.start_ticks)) return std::nullopt;
  return stat;
}

}  // namespace

ProcessIdentity current_process() {
  ProcessIdentity self;
  self.pid = static_cast<int>(::getpid());
  self.boot_id = read_boot_id();
  if (const auto stat = read_proc_stat(self.pid)) self.start_ticks = stat->start_ticks;
  return self;
}

bool is_alive(const ProcessIdentity& process) {
  if (process.pid <= 0) return false;
  if (!process.boot_id.empty()) {
    const auto boot = read_boot_id();
    if (!boot.empty() && boot != process.boot_id) return false;  // the machine rebooted since
  }
  if (::kill(process.pid, 0) != 0 && errno == ESRCH) return false;
  const auto stat = read_proc_stat(process.pid);
  if (!stat) return true;                     // exists (kill said so) but /proc is not readable
  if (stat->state == 'Z' || stat->state == 'X') return false;  // dead, not yet reaped
  if (process.start_ticks != 0 && stat->start_ticks != process.start_ticks) return false;  // pid reused
  return true;
}

}  // namespace glasslab::acquisition
