#include "acquisition/xrd/folder_watcher.hpp"

#include <algorithm>
#include <fstream>

#include <fmt/format.h>

namespace glasslab::acquisition::xrd {

namespace fs = std::filesystem;

FolderWatcher::FolderWatcher(fs::path folder, std::vector<std::string> extensions)
    : folder_(std::move(folder)), extensions_(std::move(extensions)) {
  std::error_code ec;
  for (fs::directory_iterator it(folder_, ec), end; !ec && it != end; it.increment(ec))
    if (wanted(it->path())) seen_[it->path()] = {0, 0, true};  // an earlier acquisition's file
}

bool FolderWatcher::wanted(const fs::path& path) const {
  const std::string name = path.filename().string();
  if (name.empty() || name.front() == '.' || path.extension() == ".tmp") return false;
  if (extensions_.empty()) return true;
  return std::find(extensions_.begin(), extensions_.end(), path.extension().string()) != extensions_.end();
}

std::vector<ArrivedFile> FolderWatcher::poll(std::int64_t now_mono_ns) {
  std::vector<std::pair<std::int64_t, ArrivedFile>> ready;
  std::error_code ec;
  for (fs::directory_iterator it(folder_, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& path = it->path();
    if (!wanted(path)) continue;
    std::error_code size_ec;
    if (!it->is_regular_file(size_ec)) continue;
    const auto size = fs::file_size(path, size_ec);
    if (size_ec) continue;
    auto [entry, inserted] = seen_.try_emplace(path, Seen{size, now_mono_ns, false});
    Seen& seen = entry->second;
    if (inserted || seen.reported) continue;
    if (seen.size != size) {  // still being written
      seen.size = size;
      continue;
    }
    seen.reported = true;
    ArrivedFile file{path, seen.first_seen_ns, true, {}};
    if (size == 0) {
      file.readable = false;
      file.problem = "file is empty";
    } else if (!std::ifstream(path).good()) {
      file.readable = false;
      file.problem = "file cannot be opened for reading";
    }
    ready.emplace_back(seen.first_seen_ns, std::move(file));
  }
  std::sort(ready.begin(), ready.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : a.second.path < b.second.path;
  });
  std::vector<ArrivedFile> out;
  for (auto& [t, file] : ready) out.push_back(std::move(file));
  return out;
}

}  // namespace glasslab::acquisition::xrd
