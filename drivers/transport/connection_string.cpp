#include "drivers/transport/connection_string.hpp"

#include <charconv>

#include <fmt/format.h>

#include "core/error.hpp"

namespace glasslab::transport {

std::optional<std::string> ConnectionString::option(const std::string& key) const {
  auto it = options.find(key);
  if (it == options.end()) return std::nullopt;
  return it->second;
}

std::string ConnectionString::option_or(const std::string& key, const std::string& fallback) const {
  return option(key).value_or(fallback);
}

int ConnectionString::int_option_or(const std::string& key, int fallback) const {
  auto value = option(key);
  if (!value) return fallback;
  int parsed = 0;
  auto [ptr, ec] = std::from_chars(value->data(), value->data() + value->size(), parsed);
  if (ec != std::errc() || ptr != value->data() + value->size())
    throw UsageError(fmt::format("connection string '{}': option {}={} is not an integer", to_string(), key, *value));
  return parsed;
}

std::string ConnectionString::to_string() const {
  std::string out = scheme + ":" + address;
  char sep = '?';
  for (const auto& [k, v] : options) {
    out += sep + k + "=" + v;
    sep = '&';
  }
  return out;
}

ConnectionString parse_connection_string(const std::string& text) {
  const auto colon = text.find(':');
  if (colon == std::string::npos || colon == 0)
    throw UsageError(fmt::format("connection string '{}': expected scheme:address, e.g. serial:/dev/ttyUSB0", text));
  ConnectionString cs;
  cs.scheme = text.substr(0, colon);
  const auto query = text.find('?', colon + 1);
  cs.address = text.substr(colon + 1, query == std::string::npos ? std::string::npos : query - colon - 1);
  if (cs.address.empty()) throw UsageError(fmt::format("connection string '{}': empty address", text));
  if (query != std::string::npos) {
    std::string rest = text.substr(query + 1);
    std::size_t start = 0;
    while (start <= rest.size()) {
      const auto amp = rest.find('&', start);
      const std::string pair = rest.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
      if (!pair.empty()) {
        const auto eq = pair.find('=');
        if (eq == std::string::npos || eq == 0)
          throw UsageError(fmt::format("connection string '{}': option '{}' is not key=value", text, pair));
        cs.options[pair.substr(0, eq)] = pair.substr(eq + 1);
      }
      if (amp == std::string::npos) break;
      start = amp + 1;
    }
  }
  return cs;
}

}  // namespace glasslab::transport
