#pragma once
// Where the simulated detector learns the sample's TRUE temperature (the simulator knows it; an
// analysis can then be checked against it). Times are experiment seconds on the detector's clock
// since the simulator started, plus an offset (docs/detector-model.md, "Stage truth").
#include <cstdint>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace glasslab::sim::detector {

class StageTruth {
public:
  virtual ~StageTruth() = default;
  /// True sample temperature at experiment time `t_s`; nullopt when unknown (e.g. the log has
  /// not reached that time yet).
  virtual std::optional<double> true_T_K(double t_s) = 0;
  /// The same, for a source that knows the shared experiment clock (--clock-origin-ns): looks up
  /// `mono_ns` on that clock when it can, else the detector's experiment time `t_s`.
  virtual std::optional<double> true_T_K_at(std::int64_t /*mono_ns*/, double t_s) { return true_T_K(t_s); }
  virtual std::string description() const = 0;
};

class ConstantTruth final : public StageTruth {
public:
  explicit ConstantTruth(double T_K) : T_K_(T_K) {}
  std::optional<double> true_T_K(double) override { return T_K_; }
  std::string description() const override;

private:
  double T_K_;
};

/// T0 + rate * t, clamped at T_end (a ramp then a hold).
class RampTruth final : public StageTruth {
public:
  RampTruth(double start_K, double rate_K_per_min, double end_K) : start_K_(start_K), rate_K_per_min_(rate_K_per_min), end_K_(end_K) {}
  std::optional<double> true_T_K(double t_s) override;
  std::string description() const override;

private:
  double start_K_, rate_K_per_min_, end_K_;
};

/// The Linkam simulator's truth log, followed as it grows; linear interpolation between lines.
/// CSV with a header `t_s,T_K,setpoint_K,state,clock_mono_ns` (docs/simulators.md): when the
/// clock_mono_ns column is there, lines are keyed on it, the experiment clock the engine, the
/// Linkam simulator and this detector share, so T is looked up at the frame's own instant. Older
/// logs (whitespace- or comma-separated "t_s T_K ...", '#' comments) are keyed on t_s.
class TruthLogFile final : public StageTruth {
public:
  explicit TruthLogFile(std::string path, double time_offset_s = 0.0);
  std::optional<double> true_T_K(double t_s) override;
  std::optional<double> true_T_K_at(std::int64_t mono_ns, double t_s) override;
  std::string description() const override { return "truth log " + path_; }

private:
  void read_new_lines();
  void parse_line(const std::string& line);
  std::optional<double> lookup(double key) ;

  std::string path_;
  double time_offset_s_;
  std::ifstream in_;
  std::string partial_line_;
  int mono_column_ = -1;  ///< index of clock_mono_ns in the header; -1: keyed on t_s
  bool header_seen_ = false;
  std::vector<double> times_s_, temperatures_K_;  ///< key: clock_mono_ns in s when known, else t_s
};

/// Parses a --stage-truth argument: a file path, "const:293.15" or "ramp:93.15:10:873.15"
/// (start K, rate K/min, end K).
std::unique_ptr<StageTruth> make_stage_truth(const std::string& spec, double time_offset_s = 0.0);

}  // namespace glasslab::sim::detector
