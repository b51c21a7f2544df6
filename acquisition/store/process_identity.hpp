#pragma once
// Who is writing a run, precisely enough to tell later whether that process still lives: a pid
// alone is not enough (pids are reused, and a reboot restarts them), so the store also keeps the
// kernel's boot id and the process start time (Linux /proc).
#include <cstdint>
#include <string>

namespace glasslab::acquisition {

struct ProcessIdentity {
  int pid = 0;
  std::string boot_id;           ///< /proc/sys/kernel/random/boot_id; empty when unknown
  std::int64_t start_ticks = 0;  ///< field 22 of /proc/<pid>/stat; 0 when unknown
};

/// The identity of the calling process.
ProcessIdentity current_process();

/// False when the process is certainly gone: another boot, no such pid, a zombie, or a pid now
/// used by a process that started at another time. True when it may still be running.
bool is_alive(const ProcessIdentity& process);

}  // namespace glasslab::acquisition
