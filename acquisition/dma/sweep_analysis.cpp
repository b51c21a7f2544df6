#include "acquisition/dma/sweep_analysis.hpp"

#include <malloc.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <optional>
#include <utility>

namespace glasslab::acquisition::dma {

namespace {

/// A number only when the fit produced one (and it is finite): a failed fit shows null, never a value.
nlohmann::json number_or_null(const std::optional<double>& value) {
  if (!value || !std::isfinite(*value)) return nullptr;
  return *value;
}

nlohmann::json peak_json(const analysis::PeakFit& p) {
  return {{"name", p.name},
          {"status", analysis::to_string(p.status)},
          {"reason", p.reason},
          {"shape_b", p.shape_b},
          {"Tp_K", number_or_null(p.Tp_K)},
          {"Tp_stderr_K", number_or_null(p.Tp_stderr_K)},
          {"height", number_or_null(p.height)},
          {"height_stderr", number_or_null(p.height_stderr)},
          {"width_K", number_or_null(p.width_K)},
          {"width_stderr_K", number_or_null(p.width_stderr_K)}};
}

nlohmann::json frequency_fit_json(const analysis::FrequencyFit& f) {
  nlohmann::json peaks = nlohmann::json::array();
  for (const auto& p : f.peaks) peaks.push_back(peak_json(p));
  return {{"frequency_Hz", f.frequency_Hz},
          {"status", analysis::to_string(f.status)},
          {"reason", f.reason},
          {"points", f.points},
          {"residual_rms", f.status == analysis::FitStatus::ok ? nlohmann::json(f.residual_rms) : nlohmann::json()},
          {"peaks", peaks},
          {"skipped", f.skipped}};
}

nlohmann::json relaxation_json(const analysis::RelaxationResult& r) {
  nlohmann::json points = nlohmann::json::array();
  for (const auto& p : r.points)
    points.push_back({{"frequency_Hz", p.frequency_Hz}, {"Tp_K", p.Tp_K}, {"Tp_stderr_K", number_or_null(p.Tp_stderr_K)}});
  const auto& a = r.arrhenius;
  return {{"name", r.name},
          {"points", points},
          {"status", analysis::to_string(a.status)},
          {"reason", a.reason},
          {"energy_eV", number_or_null(a.energy_eV)},
          {"energy_stderr_eV", number_or_null(a.energy_stderr_eV)},
          {"energy_kJ_per_mol", number_or_null(a.energy_kJ_per_mol)},
          {"ln_tau0", number_or_null(a.ln_tau0)}};
}

/// "<name>: expected ..." (the sweep runner's sweep_start message) → "<name>".
std::string sweep_name_from_start(const std::string& message) {
  const auto colon = message.rfind(": expected ");
  return colon == std::string::npos ? message : message.substr(0, colon);
}

}  // namespace

nlohmann::json dma_analysis_json(const analysis::DmaAnalysis& a) {
  nlohmann::json frequencies = nlohmann::json::array();
  for (const auto& f : a.fits) frequencies.push_back(frequency_fit_json(f));
  nlohmann::json relaxations = nlohmann::json::array();
  for (const auto& r : a.relaxations) relaxations.push_back(relaxation_json(r));
  return {{"observable", analysis::to_string(a.observable)}, {"frequencies", frequencies}, {"relaxations", relaxations}};
}

nlohmann::json analyze_sweep_points(const std::vector<DmaPoint>& points, const analysis::DmaAnalysisOptions& options) {
  nlohmann::json out{{"points", points.size()}};
  std::vector<analysis::DmaSample> samples;
  samples.reserve(points.size());
  for (const auto& p : points) {
    const double value =
        options.observable == analysis::DmaObservable::tan_delta ? p.tan_delta : p.loss_modulus_Pa;
    samples.push_back({p.T_K, p.frequency_Hz, value});
  }
  try {
    if (samples.empty()) throw std::invalid_argument("the sweep recorded no points");
    const analysis::DmaAnalysis analysis = analysis::analyze_dma(samples, options);
    out.update(dma_analysis_json(analysis));
    out["method"] = "joint";
    // "ok" when at least one relaxation has an activation energy; the per-item statuses say the rest.
    bool any_energy = false;
    for (const auto& r : analysis.relaxations) any_energy = any_energy || r.arrhenius.status == analysis::FitStatus::ok;
    // A sweep over the whole range (123-873 K) puts γ, β and the α rise into one fit, which can
    // be ill-conditioned; then each relaxation is fitted alone on the data inside its window.
    nlohmann::json windowed = nlohmann::json::array();
    for (std::size_t i = 0; i < analysis.relaxations.size(); ++i) {
      if (analysis.relaxations[i].arrhenius.status == analysis::FitStatus::ok) continue;
      const auto spec = std::find_if(options.relaxations.begin(), options.relaxations.end(),
                                     [&](const auto& r) { return r.name == analysis.relaxations[i].name; });
      if (spec == options.relaxations.end()) continue;
      std::vector<analysis::DmaSample> inside;
      for (const auto& sample : samples)
        if (sample.T_K >= spec->T_window_lo_K && sample.T_K <= spec->T_window_hi_K) inside.push_back(sample);
      if (inside.empty()) continue;
      analysis::DmaAnalysisOptions alone = options;
      alone.relaxations = {*spec};
      try {
        const analysis::DmaAnalysis single = analysis::analyze_dma(inside, alone);
        for (const auto& r : single.relaxations) {
          windowed.push_back(relaxation_json(r));
          any_energy = any_energy || r.arrhenius.status == analysis::FitStatus::ok;
        }
      } catch (const std::exception& e) {
        windowed.push_back({{"name", spec->name}, {"status", "failed"}, {"reason", e.what()}, {"energy_eV", nullptr}});
      }
    }
    if (!windowed.empty()) out["relaxations_windowed"] = windowed;
    out["status"] = any_energy ? "ok" : "no_energy";
    out["reason"] = any_energy ? "" : "no relaxation gave an Arrhenius fit (see the per-frequency statuses)";
  } catch (const std::exception& e) {
    out["status"] = "failed";
    out["reason"] = e.what();
  }
  return out;
}

SweepFitRecorder::SweepFitRecorder(Recorder& inner, FitCallback on_fit, analysis::DmaAnalysisOptions options)
    : inner_(inner), on_fit_(std::move(on_fit)), options_(std::move(options)) {}

void SweepFitRecorder::record(const DmaPoint& point) {
  inner_.record(point);
  if (in_sweep_) points_.push_back(point);
}

void SweepFitRecorder::record(const Event& event) {
  inner_.record(event);
  if (event.source != "rheometer") return;
  if (event.kind == "sweep_start") {
    points_.clear();
    sweep_name_ = sweep_name_from_start(event.message);
    in_sweep_ = true;
  } else if (in_sweep_ && (event.kind == "sweep_end" || event.kind == "sweep_failed" || event.kind == "sweep_aborted")) {
    finish_sweep(event.kind, event.message);
  }
}

void SweepFitRecorder::finish_sweep(const std::string& end_kind, const std::string& end_message) {
  in_sweep_ = false;
  nlohmann::json fits = analyze_sweep_points(points_, options_);
  fits["sweep"] = sweep_name_;
  fits["sweep_status"] = end_kind == "sweep_end" ? "completed" : end_kind == "sweep_failed" ? "failed" : "aborted";
  if (end_kind != "sweep_end") fits["sweep_reason"] = end_message;
  ++sweeps_analysed_;
  std::vector<DmaPoint>().swap(points_);  // give the memory back between sweeps
  if (on_fit_) on_fit_(sweep_name_, fits);
  // The fit's scratch (smoothing systems, peak fits) is freed, but glibc keeps freed heap mapped:
  // a night-long process would hold its largest sweep's peak for good. Hand it back to the system
  // (bench/soak: resident memory stays flat over the overnight queue).
  malloc_trim(0);
}

}  // namespace glasslab::acquisition::dma
