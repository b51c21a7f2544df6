#pragma once
// The page's files, embedded into the binary at build time (dashboard/web/embed_assets.cmake
// writes the definition), so `glasslab serve` works from any folder and fetches nothing at run
// time: index.html, app.js, style.css, and uPlot from npm (pinned by package-lock.json).
#include <string_view>

namespace glasslab::dashboard {

struct Asset {
  std::string_view path;          ///< "/", "/assets/app.js", ...
  std::string_view content_type;
  std::string_view body;
};

/// The asset served at `path`, or nullptr.
const Asset* find_asset(std::string_view path);

}  // namespace glasslab::dashboard
