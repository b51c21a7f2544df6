// Semantic checks of a schedule (docs/schedule-format.md, "Validation"). Every check adds a
// diagnostic and goes on, so one pass reports everything.
#include "schedules/validate.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

#include "schedules/key_hints.hpp"

namespace glasslab::schedules {
namespace {

std::string num(double value) { return fmt::format("{}", value); }

/// The hardware limits of a THMS600/THS600 stage (reference/linkam-t95.md): an envelope may be
/// narrower, never wider.
constexpr double kHardwareMin_K = 77.15, kHardwareMax_K = 873.15;
/// reference/detector-trigger.md: the detector's external trigger wants a pulse of at least 20 us.
constexpr double kMinPulseWidth_us = 20;
constexpr double kMaxPollRate_Hz = 10;
/// Wall seconds the Linkam driver may spend on one failed reply before it has a status again: a
/// 500 ms reply timeout plus three resynchronising 'T's (docs/linkam-protocol.md, "Recovery").
constexpr double kDriverRecoveryWall_s = 2;

class Checker {
public:
  explicit Checker(const Schedule& schedule) : s_(schedule) {}

  std::vector<Diagnostic> run() {
    check_sample();
    check_instruments();
    if (s_.steps.empty()) error("step", "a schedule needs at least one [[step]]");
    for (std::size_t i = 0; i < s_.steps.size(); ++i) check_step(i, s_.steps[i]);
    return std::move(out_);
  }

private:
  SourceLocation at(const std::string& path) const {
    // The exact key, else the closest enclosing table that was located, else the step header.
    for (std::string p = path; !p.empty();) {
      if (auto it = s_.locations.find(p); it != s_.locations.end()) return it->second;
      const auto dot = p.rfind('.');
      if (dot == std::string::npos) break;
      p.resize(dot);
    }
    if (path.rfind("step[", 0) == 0) {
      const std::size_t number = std::strtoul(path.c_str() + 5, nullptr, 10);
      if (number >= 1 && number <= s_.steps.size()) return s_.steps[number - 1].where;
    }
    return SourceLocation{s_.path, 0, 0};
  }

  void add(Severity severity, const std::string& path, std::string message, std::string value) {
    out_.push_back(Diagnostic{severity, at(path), path, std::move(message), std::move(value)});
  }
  void error(const std::string& path, std::string message, std::string value = {}) {
    add(Severity::error, path, std::move(message), std::move(value));
  }
  void warning(const std::string& path, std::string message, std::string value = {}) {
    add(Severity::warning, path, std::move(message), std::move(value));
  }

  void positive(const std::string& path, double value, std::string_view what = "must be positive") {
    if (!(value > 0)) error(path, std::string(what), num(value));
  }

  void check_connection(const std::string& path, const std::string& connection,
                        std::initializer_list<std::string_view> schemes, std::string_view example) {
    const auto colon = connection.find(':');
    const std::string scheme = connection.substr(0, colon);
    const bool known = std::find(schemes.begin(), schemes.end(), scheme) != schemes.end();
    if (colon == std::string::npos || colon + 1 == connection.size() || !known)
      error(path, fmt::format("not a connection string for this instrument; expected e.g. \"{}\"", example),
            fmt::format("\"{}\"", connection));
  }

  void check_sample_state(const std::string& path, const std::string& state) {
    if (is_known_sample_state(state)) return;
    const std::vector<std::string> states(std::begin(kSampleStates), std::end(kSampleStates));
    std::string message = fmt::format("unknown sample state; the paper's Table 2 states are {}", fmt::join(states, ", "));
    if (auto closest = closest_key(state, states); !closest.empty()) message += fmt::format(" (did you mean {}?)", closest);
    error(path, message, fmt::format("\"{}\"", state));
  }

  void check_sample() {
    const Sample& sample = s_.sample;
    if (sample.name.empty()) error("sample.name", "missing sample name");
    check_sample_state("sample.state", sample.state);
    positive("sample.molar_mass_g_per_mol", sample.molar_mass_g_per_mol);
    if (sample.mass_mg) positive("sample.mass_mg", *sample.mass_mg);
  }

  void check_stage(const StageConfig& stage) {
    const std::string p = "instruments.stage";
    check_connection(p + ".connection", stage.connection, {"serial", "tcp"},
                     "serial:/dev/ttyUSB0?baud=19200&flow=rtscts");
    const StageEnvelope& e = stage.envelope;
    const std::string pe = p + ".envelope";
    positive(pe + ".min_K", e.min_K, "must be above 0 K");
    if (!(e.max_K > e.min_K)) error(pe + ".max_K", fmt::format("must be above min_K = {} K", e.min_K), num(e.max_K));
    if (e.min_K < kHardwareMin_K)
      warning(pe + ".min_K", fmt::format("below what LN2 cooling reaches ({} K, -196 °C)", kHardwareMin_K), num(e.min_K));
    if (e.max_K > kHardwareMax_K)
      warning(pe + ".max_K", fmt::format("above the THMS600 stage's {} K (600 °C)", kHardwareMax_K), num(e.max_K));
    positive(pe + ".min_rate_K_per_min", e.min_rate_K_per_min);
    if (!(e.max_rate_K_per_min >= e.min_rate_K_per_min))
      error(pe + ".max_rate_K_per_min", fmt::format("must be at least min_rate_K_per_min = {} K/min", e.min_rate_K_per_min),
            num(e.max_rate_K_per_min));
    if (!(stage.poll_hz > 0 && stage.poll_hz <= kMaxPollRate_Hz))
      error(p + ".poll_Hz", fmt::format("must be in (0, {}] Hz", kMaxPollRate_Hz), num(stage.poll_hz));
    positive(p + ".tolerance_heating_K", stage.tolerance_heating_K);
    positive(p + ".tolerance_cooling_K", stage.tolerance_cooling_K);
    if (!(stage.settle_s >= 0)) error(p + ".settle_s", "must not be negative", num(stage.settle_s));
    check_stage_rate(p + ".approach_rate_K_per_min", stage.approach_rate_K_per_min);
    check_interlocks(stage);
  }

  void check_interlocks(const StageConfig& stage) {
    const std::string p = "instruments.stage";
    // Two poll periods: at speed 1 (the lab) a shorter watchdog trips between healthy readings,
    // and a rate window needs at least three readings.
    const double two_polls_s = stage.poll_hz > 0 ? 2.0 / stage.poll_hz : 0.0;
    if (!(stage.watchdog_s > 0))
      error(p + ".watchdog_s", "must be positive", num(stage.watchdog_s));
    else if (stage.watchdog_s < two_polls_s)
      error(p + ".watchdog_s",
            fmt::format("shorter than two poll periods ({} s at poll_Hz = {}): it would trip between healthy readings",
                        two_polls_s, stage.poll_hz),
            num(stage.watchdog_s));
    else if (stage.watchdog_s < kDriverRecoveryWall_s)
      warning(p + ".watchdog_s",
              fmt::format("shorter than one recovery of the Linkam driver (about {} s): a single garbled or late "
                          "reply may trip it",
                          kDriverRecoveryWall_s),
              num(stage.watchdog_s));
    if (!(stage.over_temperature_margin_K >= 0))
      error(p + ".over_temperature_margin_K", "must not be negative", num(stage.over_temperature_margin_K));
    if (!(stage.rate_margin_K_per_min >= 0))
      error(p + ".rate_margin_K_per_min", "must not be negative", num(stage.rate_margin_K_per_min));
    if (!(stage.rate_window_s > 0))
      error(p + ".rate_window_s", "must be positive", num(stage.rate_window_s));
    else if (stage.rate_window_s < two_polls_s)
      error(p + ".rate_window_s",
            fmt::format("shorter than two poll periods ({} s at poll_Hz = {}): a rate needs three readings",
                        two_polls_s, stage.poll_hz),
            num(stage.rate_window_s));
  }

  void check_instruments() {
    const Instruments& in = s_.instruments;
    if (in.stage) check_stage(*in.stage);
    if (in.trigger) {
      check_connection("instruments.trigger.connection", in.trigger->connection, {"usb"}, "usb:0403:6014");
      if (!(in.trigger->pulse_width_us >= kMinPulseWidth_us))
        error("instruments.trigger.pulse_width_us",
              fmt::format("the detector's external trigger needs a pulse of at least {} us", kMinPulseWidth_us),
              num(in.trigger->pulse_width_us));
    }
    if (in.detector) {
      if (in.detector->watch_dir.empty()) error("instruments.detector.watch_dir", "must name a folder", "\"\"");
      positive("instruments.detector.match_tolerance_s", in.detector->match_tolerance_s);
    }
    if (in.rheometer) {
      const RheometerConfig& r = *in.rheometer;
      check_connection("instruments.rheometer.connection", r.connection, {"tcp"}, "tcp:127.0.0.1:5025");
      positive("instruments.rheometer.envelope.min_K", r.envelope.min_K, "must be above 0 K");
      if (!(r.envelope.max_K > r.envelope.min_K))
        error("instruments.rheometer.envelope.max_K", fmt::format("must be above min_K = {} K", r.envelope.min_K),
              num(r.envelope.max_K));
      positive("instruments.rheometer.envelope.max_rate_K_per_min", r.envelope.max_rate_K_per_min);
      check_oven_approach_rate(r);
    }
  }

  // The rate is sent to the instrument (APPROACH, docs/rheometer-protocol.md), which takes
  // 0.1..50 K/min: a rate outside would have every sweep of the night refused.
  void check_oven_approach_rate(const RheometerConfig& r) {
    const std::string path = "instruments.rheometer.approach_rate_K_per_min";
    constexpr double service_min = 0.1, service_max = 50;
    const double rate = r.approach_rate_K_per_min;
    if (!(rate >= service_min && rate <= service_max))
      error(path, fmt::format("outside the rheometer service's APPROACH range {}..{} K/min", service_min, service_max),
            num(rate));
    else if (rate > r.envelope.max_rate_K_per_min)
      error(path,
            fmt::format("above the rheometer envelope: max_rate_K_per_min = {} K/min", r.envelope.max_rate_K_per_min),
            num(rate));
  }

  // ---- stage steps -------------------------------------------------------------------------

  StageEnvelope stage_envelope() const {
    return s_.instruments.stage ? s_.instruments.stage->envelope : StageEnvelope{};
  }

  void check_stage_temperature(const std::string& path, double value_K) {
    const StageEnvelope e = stage_envelope();
    if (value_K < e.min_K)
      error(path, fmt::format("below the stage envelope: min_K = {} K (instruments.stage.envelope.min_K)", e.min_K),
            num(value_K));
    else if (value_K > e.max_K)
      error(path, fmt::format("above the stage envelope: max_K = {} K (instruments.stage.envelope.max_K)", e.max_K),
            num(value_K));
  }

  void check_stage_rate(const std::string& path, double rate_K_per_min) {
    const StageEnvelope e = stage_envelope();
    if (!(rate_K_per_min > 0))
      error(path, "must be positive (the direction comes from the target temperature)", num(rate_K_per_min));
    else if (rate_K_per_min < e.min_rate_K_per_min)
      error(path,
            fmt::format("below the stage envelope: min_rate_K_per_min = {} K/min "
                        "(instruments.stage.envelope.min_rate_K_per_min)", e.min_rate_K_per_min),
            num(rate_K_per_min));
    else if (rate_K_per_min > e.max_rate_K_per_min)
      error(path,
            fmt::format("above the stage envelope: max_rate_K_per_min = {} K/min "
                        "(instruments.stage.envelope.max_rate_K_per_min)", e.max_rate_K_per_min),
            num(rate_K_per_min));
  }

  /// Seconds the step's acquisition window lasts when known (the host-timed hold, or a ramp from a
  /// known temperature); used only to warn about frame counts that cannot fit.
  std::optional<double> acquisition_window_s(const Step& step) const {
    if (auto hold = std::get_if<HoldStep>(&step.body)) return hold->duration_s;
    if (auto ramp = std::get_if<RampStep>(&step.body); ramp && stage_K_ && ramp->rate_K_per_min > 0)
      return std::abs(ramp->to_K - *stage_K_) / ramp->rate_K_per_min * 60;
    return std::nullopt;
  }

  void check_xrd(const std::string& p, const Step& step) {
    const XrdAcquisition& xrd = *step.xrd;
    if (!step.uses_stage()) {
      error(p + ".xrd", "xrd acquisition runs only during hold and ramp steps");
      return;
    }
    if (!s_.instruments.trigger) error(p + ".xrd", "xrd frames need a trigger box: add [instruments.trigger]");
    if (!s_.instruments.detector) error(p + ".xrd", "xrd frames need a detector: add [instruments.detector]");
    positive(p + ".xrd.exposure_s", xrd.exposure_s);
    positive(p + ".xrd.period_s", xrd.period_s);
    if (xrd.exposure_s > 0 && xrd.period_s > 0 && xrd.period_s < xrd.exposure_s)
      error(p + ".xrd.period_s",
            fmt::format("shorter than exposure_s = {} s: frames would overlap (with framewise triggering the "
                        "period is the exposure)", xrd.exposure_s),
            num(xrd.period_s));
    if (xrd.frame_count) {
      if (*xrd.frame_count < 1) {
        error(p + ".xrd.frame_count", "must be at least 1", fmt::format("{}", *xrd.frame_count));
      } else if (auto window = acquisition_window_s(step); window && xrd.period_s > 0) {
        const double needed_s = (*xrd.frame_count - 1) * xrd.period_s + xrd.exposure_s;
        if (needed_s > *window + 1e-9)
          warning(p + ".xrd.frame_count",
                  fmt::format("{} frames need {} s but the step lasts {} s; the last ones will not be taken",
                              *xrd.frame_count, needed_s, *window),
                  fmt::format("{}", *xrd.frame_count));
      }
    }
  }

  void check_hold(const std::string& p, const HoldStep& hold) {
    check_stage_temperature(p + ".temperature_K", hold.temperature_K);
    positive(p + ".duration_s", hold.duration_s);
    if (hold.approach_rate_K_per_min) check_stage_rate(p + ".approach_rate_K_per_min", *hold.approach_rate_K_per_min);
  }

  void check_ramp(const std::string& p, const RampStep& ramp) {
    check_stage_temperature(p + ".to_K", ramp.to_K);
    check_stage_rate(p + ".rate_K_per_min", ramp.rate_K_per_min);
    if (stage_K_ && std::abs(*stage_K_ - ramp.to_K) < 1e-9)
      warning(p + ".to_K", "the stage is already there: this ramp takes no time", num(ramp.to_K));
  }

  // ---- rheometer steps ---------------------------------------------------------------------

  RheometerEnvelope oven_envelope() const {
    return s_.instruments.rheometer ? s_.instruments.rheometer->envelope : RheometerEnvelope{};
  }

  void check_oven_temperature(const std::string& path, double value_K) {
    const RheometerEnvelope e = oven_envelope();
    if (value_K < e.min_K || value_K > e.max_K)
      error(path,
            fmt::format("outside the rheometer envelope {} K..{} K (instruments.rheometer.envelope)", e.min_K, e.max_K),
            num(value_K));
  }

  void check_frequencies(const std::string& p, const std::vector<double>& frequencies_Hz, DmaMode mode,
                         std::optional<double> rate_K_per_min, int cycles) {
    const std::string path = p + ".frequencies_Hz";
    if (frequencies_Hz.empty()) error(path, "needs at least one frequency", "[]");
    for (double f : frequencies_Hz) {
      if (!(f >= kMinFrequency_Hz && f <= kMaxFrequency_Hz)) {
        error(path, fmt::format("frequency outside {}..{} Hz", kMinFrequency_Hz, kMaxFrequency_Hz), num(f));
        continue;
      }
      if (mode == DmaMode::bending && (f < kBendingMinFrequency_Hz || f > kBendingMaxFrequency_Hz))
        warning(path, fmt::format("outside the paper's three-point bending range {}..{} Hz on the DHR-3",
                                  kBendingMinFrequency_Hz, kBendingMaxFrequency_Hz), num(f));
      if (mode == DmaMode::torsion && f > kTorsionMaxFrequency_Hz)
        warning(path, fmt::format("above the paper's torsion range (up to {} Hz) on the DHR-3", kTorsionMaxFrequency_Hz),
                num(f));
      // reference/rheometer-dma.md: a point is the mean over (delay + acquisition) cycles.
      if (rate_K_per_min && cycles > 0) {
        const double span_K = cycles / f * *rate_K_per_min / 60;
        if (span_K > kMaxPointSpan_K)
          warning(path, fmt::format("one point at this frequency spans {:.3g} K of the ramp ({} cycles); "
                                    "lower the rate or the cycles", span_K, cycles), num(f));
      }
    }
  }

  template <typename Dma>
  void check_dma_common(const std::string& p, const Dma& dma, std::optional<double> rate_K_per_min) {
    check_frequencies(p, dma.frequencies_Hz, dma.mode, rate_K_per_min, dma.delay_cycles + dma.acquisition_cycles);
    positive(p + ".strain_pct", dma.strain_pct);
    if (dma.strain_pct > 1)
      warning(p + ".strain_pct", "above 1 %: a metallic glass bar is no longer in its linear (elastic) range",
              num(dma.strain_pct));
    if (dma.delay_cycles < 0) error(p + ".delay_cycles", "must not be negative", fmt::format("{}", dma.delay_cycles));
    if (dma.acquisition_cycles < 1)
      error(p + ".acquisition_cycles", "must be at least 1", fmt::format("{}", dma.acquisition_cycles));
    if (!dma.sample_state.empty()) check_sample_state(p + ".sample_state", dma.sample_state);
  }

  void check_dma_ramp(const std::string& p, const DmaRampStep& ramp) {
    check_oven_temperature(p + ".from_K", ramp.from_K);
    check_oven_temperature(p + ".to_K", ramp.to_K);
    if (ramp.from_K == ramp.to_K)
      error(p + ".to_K", "equals from_K: a ramp must go somewhere (use dma_isothermal for one temperature)",
            num(ramp.to_K));
    const double max_rate = oven_envelope().max_rate_K_per_min;
    if (!(ramp.rate_K_per_min > 0))
      error(p + ".rate_K_per_min", "must be positive (the direction comes from from_K and to_K)",
            num(ramp.rate_K_per_min));
    else if (ramp.rate_K_per_min > max_rate)
      error(p + ".rate_K_per_min",
            fmt::format("above the rheometer envelope: max_rate_K_per_min = {} K/min", max_rate),
            num(ramp.rate_K_per_min));
    check_dma_common(p, ramp, ramp.rate_K_per_min > 0 ? std::optional(ramp.rate_K_per_min) : std::nullopt);
  }

  void check_dma_isothermal(const std::string& p, const DmaIsothermalStep& iso) {
    if (iso.temperatures_K.empty()) error(p + ".temperatures_K", "needs at least one temperature", "[]");
    for (double t : iso.temperatures_K) check_oven_temperature(p + ".temperatures_K", t);
    if (!(iso.soak_s >= 0)) error(p + ".soak_s", "must not be negative", num(iso.soak_s));
    check_dma_common(p, iso, std::nullopt);
  }

  void check_step(std::size_t index, const Step& step) {
    const std::string p = step_path(index);
    if (step.uses_stage() && !s_.instruments.stage)
      error(p + ".kind", fmt::format("a {} step needs the stage: add [instruments.stage]", step.kind()));
    if (step.uses_rheometer() && !s_.instruments.rheometer)
      error(p + ".kind", fmt::format("a {} step needs the rheometer: add [instruments.rheometer]", step.kind()));
    if (auto hold = std::get_if<HoldStep>(&step.body)) check_hold(p, *hold);
    if (auto ramp = std::get_if<RampStep>(&step.body)) check_ramp(p, *ramp);
    if (auto dma = std::get_if<DmaRampStep>(&step.body)) check_dma_ramp(p, *dma);
    if (auto iso = std::get_if<DmaIsothermalStep>(&step.body)) check_dma_isothermal(p, *iso);
    if (step.xrd) check_xrd(p, step);
    // Track where the stage will be, for the checks that depend on the previous step.
    if (auto hold = std::get_if<HoldStep>(&step.body)) stage_K_ = hold->temperature_K;
    if (auto ramp = std::get_if<RampStep>(&step.body)) stage_K_ = ramp->to_K;
  }

  const Schedule& s_;
  std::vector<Diagnostic> out_;
  std::optional<double> stage_K_;  ///< unknown before the first stage step
};

}  // namespace

std::string step_path(std::size_t index) { return fmt::format("step[{}]", index + 1); }

std::string Diagnostic::to_string() const {
  std::string text = fmt::format("{}:{}:{}: ", where.file, where.line, where.column);
  if (severity == Severity::warning) text += "warning: ";
  text += key.empty() ? message : fmt::format("{}: {}", key, message);
  if (!value.empty()) text += fmt::format(" ({})", value);
  return text;
}

std::vector<Diagnostic> validate(const Schedule& schedule) { return Checker(schedule).run(); }

bool has_errors(const std::vector<Diagnostic>& diagnostics) {
  return std::any_of(diagnostics.begin(), diagnostics.end(),
                     [](const Diagnostic& d) { return d.severity == Severity::error; });
}

std::string format_diagnostics(std::vector<Diagnostic> diagnostics) {
  std::stable_sort(diagnostics.begin(), diagnostics.end(), [](const Diagnostic& a, const Diagnostic& b) {
    if (a.severity != b.severity) return a.severity == Severity::error;
    if (a.where.line != b.where.line) return a.where.line < b.where.line;
    return a.where.column < b.where.column;
  });
  std::string text;
  for (const auto& d : diagnostics) {
    if (!text.empty()) text += '\n';
    text += d.to_string();
  }
  return text;
}

}  // namespace glasslab::schedules
