#pragma once
// Internal to schedules/: a character check run on a schedule's text before toml++ sees it.
//
// Why: toml++ 3.3.0 (Debian 12's libtomlplusplus) classifies some non-ASCII code points as
// whitespace by reaching TOML_UNREACHABLE (undefined behaviour) for U+00A1..U+0499 and
// U+FBB6..U+FEFE: Latin-1 letters, '°', 'µ', Greek, Cyrillic (upstream marzer/tomlplusplus issues
// #190 and #295; fixed after 3.3.0). It asks that question only outside strings and comments, and
// after a backslash in a multi-line basic string. Outside strings and comments such a character is
// a TOML syntax error anyway; after a backslash in a """string""" it is refused with a hint to write
// it as \uXXXX. Found by fuzz/schedule_fuzzer.cpp (docs/fuzzing.md).
#include <string>
#include <string_view>

namespace glasslab::schedules::detail {

/// Throws ScheduleError "path:line:column: TOML syntax: ..." naming the character and its code
/// point at the first place toml++ would misread; returns for every other text.
void check_toml_characters(std::string_view text, const std::string& path);

}  // namespace glasslab::schedules::detail
