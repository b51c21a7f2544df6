#pragma once
// Watches the folder the detector software writes frames into. Polling, not inotify: vendor PCs
// often share that folder over SMB/NFS where inotify sees nothing, and the engine already ticks.
// A file counts once its size has stayed the same over two polls (the writer has finished);
// names starting with '.' or ending in .tmp are ignored (temporary names of atomic writers).
// Files present when watching starts belong to an earlier acquisition and are never reported.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "acquisition/xrd/frame_matcher.hpp"

namespace glasslab::acquisition::xrd {

class FolderWatcher {
public:
  /// `extensions` such as {".gr", ".tif"}; empty = every regular file.
  FolderWatcher(std::filesystem::path folder, std::vector<std::string> extensions);

  /// Looks at the folder once; returns files that became complete, oldest first by first sight
  /// then name. Missing folder: nothing (it may be created later by the detector software).
  std::vector<ArrivedFile> poll(std::int64_t now_mono_ns);
  const std::filesystem::path& folder() const { return folder_; }

private:
  struct Seen {
    std::uintmax_t size = 0;
    std::int64_t first_seen_ns = 0;
    bool reported = false;
  };
  bool wanted(const std::filesystem::path& path) const;

  std::filesystem::path folder_;
  std::vector<std::string> extensions_;
  std::map<std::filesystem::path, Seen> seen_;
};

}  // namespace glasslab::acquisition::xrd
