#include "acquisition/records.hpp"

namespace glasslab::acquisition {

std::string to_string(ExitStatus status) {
  switch (status) {
    case ExitStatus::success: return "success";
    case ExitStatus::aborted: return "aborted";
    case ExitStatus::failed: return "failed";
    case ExitStatus::interrupted: return "interrupted";
  }
  return "unknown";
}

std::string to_string(EventLevel level) {
  switch (level) {
    case EventLevel::debug: return "debug";
    case EventLevel::info: return "info";
    case EventLevel::warning: return "warning";
    case EventLevel::error: return "error";
  }
  return "unknown";
}

}  // namespace glasslab::acquisition
