#pragma once
// Connection strings choose a transport (docs/architecture.md):
//   serial:/dev/ttyUSB0?baud=19200&flow=rtscts
//   usb:0403:6014?serial=FT12345
//   tcp:127.0.0.1:5025
#include <map>
#include <optional>
#include <string>

namespace glasslab::transport {

struct ConnectionString {
  std::string scheme;                         ///< "serial", "usb", "tcp", "usbsim", ...
  std::string address;                        ///< what follows "scheme:" up to '?'
  std::map<std::string, std::string> options; ///< the query part, key=value pairs

  std::optional<std::string> option(const std::string& key) const;
  std::string option_or(const std::string& key, const std::string& fallback) const;
  int int_option_or(const std::string& key, int fallback) const;
  std::string to_string() const;
};

/// Parses "scheme:address?k=v&k2=v2". Throws UsageError naming the string and what is wrong.
ConnectionString parse_connection_string(const std::string& text);

}  // namespace glasslab::transport
