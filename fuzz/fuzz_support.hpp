#pragma once
// What every glasslab fuzz target shares (docs/fuzzing.md): the rule that a parser given any bytes
// either returns a value that satisfies its invariants or throws the project's typed error, and
// the way a broken rule becomes a libFuzzer finding (abort: libFuzzer saves the input as crash-*).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <typeinfo>

#include "core/error.hpp"

namespace glasslab::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

/// An invariant broke or a parser misbehaved: say what, then abort so libFuzzer keeps the input.
[[noreturn]] inline void finding(std::string_view what, std::string_view detail = {}) {
  std::fprintf(stderr, "\nglasslab fuzz finding: %.*s%s%.*s\n", static_cast<int>(what.size()), what.data(),
               detail.empty() ? "" : ": ", static_cast<int>(detail.size()), detail.data());
  std::abort();
}

inline void require(bool holds, std::string_view invariant) {
  if (!holds) finding("invariant broken", invariant);
}

/// Runs `parse`. Returning is fine (the lambda checks its own invariants); so is throwing
/// glasslab::Error of the `expected` category with a non-empty message. Anything else is a finding:
/// another category, another exception type (std::out_of_range, nlohmann's type_error, ...).
template <typename Parse>
void parse_or_typed_error(ErrorCategory expected, Parse&& parse) {
  try {
    parse();
  } catch (const Error& e) {
    if (e.category() != expected)
      finding("wrong error category", std::string(to_string(e.category())) + " error: " + e.what());
    if (std::string_view(e.what()).empty()) finding("typed error without a message");
  } catch (const std::exception& e) {
    finding("untyped exception escaped the parser", std::string(typeid(e).name()) + ": " + e.what());
  } catch (...) {
    finding("non-std exception escaped the parser");
  }
}

}  // namespace glasslab::fuzz
