#pragma once
// Fault switches of the simulated T95 (docs/simulators.md, "Linkam T95 / Fault switches").
//
// At run time, one per line on the simulator's stdin:     drop 5 | garbage 3 | late 800 |
//                                                          silent 10 | open_circuit on |
//                                                          runaway on | overshoot 15 | status
// On the command line, `--fault SPEC`, SPEC = the same command with ':' for the blank and an
// optional '@T' = experiment seconds after start (default 0):  drop:5@60, open_circuit:on@120.
#include <string>
#include <string_view>

namespace glasslab::sim::linkam {

enum class FaultKind {
  drop,          // value = experiment seconds the line stays down
  garbage,       // value = number of replies replaced by garbage
  late,          // value = wall milliseconds every reply is delayed by (0 = off)
  silent,        // value = experiment seconds without any reply (0 = off)
  open_circuit,  // on = sensor open
  runaway,       // on = the heater drive fails on: full power while the program runs (E still cuts it)
  overshoot,     // value = kelvin the control loop regulates above its setpoint (0 = off)
  status,        // print the true state as one JSON line
};

struct FaultCommand {
  FaultKind kind = FaultKind::status;
  double value = 0.0;
  bool on = false;
};

/// Parses one run-time line ("drop 5"). Throws UsageError naming the line and what is wrong.
FaultCommand parse_fault_command(std::string_view line);

struct ScheduledFault {
  double at_s = 0.0;     // experiment seconds after the simulator started
  std::string command;   // a line parse_fault_command() accepts
};

/// Parses a command-line spec ("drop:5@60"). Throws UsageError.
ScheduledFault parse_fault_spec(std::string_view spec);

}  // namespace glasslab::sim::linkam
