#include "core/error.hpp"

namespace glasslab {

std::string_view to_string(ErrorCategory category) {
  switch (category) {
    case ErrorCategory::device: return "device";
    case ErrorCategory::protocol: return "protocol";
    case ErrorCategory::schedule: return "schedule";
    case ErrorCategory::store: return "store";
    case ErrorCategory::usage: return "usage";
  }
  return "unknown";
}

Error::Error(ErrorCategory category, const std::string& message)
    : std::runtime_error(message), category_(category) {}

}  // namespace glasslab
