#pragma once
// Exceptions at API boundaries carry a category and a message that names the file/line, the
// device and the value (docs/architecture.md, "Errors"). Destructors never throw.
#include <stdexcept>
#include <string>
#include <string_view>

namespace glasslab {

enum class ErrorCategory { device, protocol, schedule, store, usage };

std::string_view to_string(ErrorCategory category);

class Error : public std::runtime_error {
public:
  Error(ErrorCategory category, const std::string& message);
  ErrorCategory category() const noexcept { return category_; }

private:
  ErrorCategory category_;
};

/// An instrument misbehaved or cannot be reached (timeouts, open circuit, refused value).
struct DeviceError : Error {
  explicit DeviceError(const std::string& m) : Error(ErrorCategory::device, m) {}
};
/// Bytes on a wire or in a file did not follow the documented format.
struct ProtocolError : Error {
  explicit ProtocolError(const std::string& m) : Error(ErrorCategory::protocol, m) {}
};
/// A schedule is invalid; the message starts with "file:line: key".
struct ScheduleError : Error {
  explicit ScheduleError(const std::string& m) : Error(ErrorCategory::schedule, m) {}
};
/// The run store could not be read or written.
struct StoreError : Error {
  explicit StoreError(const std::string& m) : Error(ErrorCategory::store, m) {}
};
/// The operator asked for something that cannot be done (bad flag, unknown run).
struct UsageError : Error {
  explicit UsageError(const std::string& m) : Error(ErrorCategory::usage, m) {}
};

}  // namespace glasslab
