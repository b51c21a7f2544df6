#include "sim/linkam/fault_commands.hpp"

#include <charconv>
#include <cmath>
#include <vector>

#include <fmt/format.h>

#include "core/error.hpp"

namespace glasslab::sim::linkam {

namespace {

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

std::vector<std::string_view> split_words(std::string_view text) {
  std::vector<std::string_view> words;
  while (true) {
    text = trim(text);
    if (text.empty()) break;
    const auto end = text.find_first_of(" \t");
    words.push_back(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end);
  }
  return words;
}

[[noreturn]] void refuse(std::string_view line, std::string_view why) {
  throw UsageError(fmt::format("simulated Linkam T95: fault command '{}': {} (known: drop SECONDS, garbage COUNT, "
                               "late MS, silent SECONDS, open_circuit on|off, runaway on|off, overshoot KELVIN, status)",
                               line, why));
}

double parse_non_negative(std::string_view line, std::string_view word) {
  double value = 0.0;
  const auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), value);
  if (ec != std::errc() || end != word.data() + word.size() || !std::isfinite(value) || value < 0.0)
    refuse(line, fmt::format("'{}' is not a non-negative number", word));
  return value;
}

}  // namespace

FaultCommand parse_fault_command(std::string_view line) {
  const auto words = split_words(line);
  if (words.empty()) refuse(line, "empty");
  const std::string_view name = words[0];
  FaultCommand command;
  if (name == "status") {
    if (words.size() != 1) refuse(line, "status takes no argument");
    command.kind = FaultKind::status;
    return command;
  }
  if (words.size() != 2) refuse(line, "expected exactly one argument");
  if (name == "open_circuit" || name == "runaway") {
    if (words[1] != "on" && words[1] != "off") refuse(line, "expected on or off");
    command.kind = name == "runaway" ? FaultKind::runaway : FaultKind::open_circuit;
    command.on = words[1] == "on";
    return command;
  }
  command.value = parse_non_negative(line, words[1]);
  if (name == "drop") command.kind = FaultKind::drop;
  else if (name == "garbage") command.kind = FaultKind::garbage;
  else if (name == "late") command.kind = FaultKind::late;
  else if (name == "silent") command.kind = FaultKind::silent;
  else if (name == "overshoot") command.kind = FaultKind::overshoot;
  else refuse(line, "unknown fault");
  if (command.kind == FaultKind::garbage && command.value != std::floor(command.value))
    refuse(line, "garbage takes a whole number of replies");
  if (command.kind == FaultKind::drop && command.value <= 0.0) refuse(line, "a drop lasts more than 0 s");
  return command;
}

ScheduledFault parse_fault_spec(std::string_view spec) {
  ScheduledFault scheduled;
  std::string_view command_part = spec;
  if (const auto at = spec.rfind('@'); at != std::string_view::npos) {
    command_part = spec.substr(0, at);
    scheduled.at_s = parse_non_negative(spec, spec.substr(at + 1));
  }
  scheduled.command.assign(command_part);
  for (char& c : scheduled.command)
    if (c == ':' || c == '=') c = ' ';
  parse_fault_command(scheduled.command);  // validate now, not when it falls due
  return scheduled;
}

}  // namespace glasslab::sim::linkam
