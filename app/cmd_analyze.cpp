// glasslab analyze: Seq from reduced PDFs and activation energies from DMA sweeps
// (docs/analysis.md). File mode works on .gr files and DMA CSV; the run mode (RUN from the store)
// shares every computation through analysis::analyze_run and report_plots.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>

#include "acquisition/live_analysis.hpp"
#include "acquisition/store/run_reader.hpp"
#include "acquisition/store/run_store.hpp"
#include "analysis/dma.hpp"
#include "analysis/run_analysis.hpp"
#include "drivers/rheometer/trios/trios_export.hpp"
#include "app/commands.hpp"
#include "app/report_plots.hpp"
#include "core/error.hpp"

namespace glasslab::app {
namespace {

struct AnalyzeOptions {
  std::vector<std::string> runs;      ///< positional RUN ids (store mode); several: aligned as in Fig. 2
  std::string db_path;
  std::string out_dir;
  std::vector<std::string> gr_files;
  std::vector<double> gr_T_mid_K;     ///< optional, one per --gr file, enables the Seq(T) series
  std::optional<double> rho0_per_A3, r_min_A, r_max_A;
  std::string dma_csv;
  std::string trios;
  std::string format = "text";
  std::string observable = "tan_delta";
  std::optional<double> heating_rate_K_per_min;  ///< default: the frames' dT_mid/dt (run), else 10
  std::optional<double> molar_mass_g_per_mol;    ///< default: the run's sample, else Cu44Zr44Al8Hf2Co2
  double Tg_K = 709.0;
  int background_degree = 1;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError(fmt::format("{}: cannot open", path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

analysis::RunAnalysisOptions analysis_options(const AnalyzeOptions& o) {
  analysis::RunAnalysisOptions options;
  options.seq.rho0_per_A3 = o.rho0_per_A3;
  options.seq.r_min_A = o.r_min_A;
  options.seq.r_max_A = o.r_max_A;
  options.series.heating_rate_K_per_s = o.heating_rate_K_per_min.value_or(10.0) / 60.0;
  options.series.molar_mass_g_per_mol = o.molar_mass_g_per_mol.value_or(analysis::kCuZrAlHfCoMolarMass_g_per_mol);
  options.series.features.Tg_hint_K = o.Tg_K;
  options.dma.observable =
      o.observable == "loss_modulus" ? analysis::DmaObservable::loss_modulus : analysis::DmaObservable::tan_delta;
  options.dma.peak_fit.background_degree = o.background_degree;
  return options;
}

std::string opt(const std::optional<double>& v, const char* spec = "{:.4g}") {
  return v ? fmt::format(fmt::runtime(spec), *v) : std::string("-");
}

void print_seq_table(const std::vector<analysis::FrameSeq>& frames) {
  fmt::print("{:<36} {:>12} {:>7} {:>9} {:>15} {:>15}\n", "file", "rho0 (A^-3)", "fitted", "r_max (A)",
             "Seq (k_B/atom)", "Seq (J/(mol K))");
  for (const auto& f : frames) {
    if (!f.seq) {
      fmt::print("{:<36} error: {}\n", f.source, f.reason);
      continue;
    }
    fmt::print("{:<36} {:>12.6f} {:>7} {:>9.3f} {:>15.6f} {:>15.5f}\n", f.source, f.seq->rho0_per_A3,
               f.seq->rho0_fitted ? "yes" : "no", f.seq->r_max_A, f.seq->seq_kB_per_atom, f.seq->seq_J_per_mol_K);
  }
}

void print_dma_tables(const analysis::DmaAnalysis& dma) {
  fmt::print("Loss peaks ({}), Cole-Cole peaks on a polynomial background:\n", analysis::to_string(dma.observable));
  fmt::print("{:>10} {:<8} {:>16} {:>12} {:>12} {}\n", "f (Hz)", "peak", "status", "Tp (K)", "+- (K)", "reason");
  for (const auto& fit : dma.fits) {
    for (const auto& peak : fit.peaks) {
      fmt::print("{:>10} {:<8} {:>16} {:>12} {:>12} {}\n", frequency_key(fit.frequency_Hz), peak.name,
                 analysis::to_string(peak.status), opt(peak.Tp_K, "{:.2f}"), opt(peak.Tp_stderr_K, "{:.2f}"), peak.reason);
    }
    for (const auto& skipped : fit.skipped) fmt::print("{:>10} skipped: {}\n", frequency_key(fit.frequency_Hz), skipped);
  }
  fmt::print("\nArrhenius fits, ln f = -ln(2 pi tau0) - E/(k Tp):\n");
  fmt::print("{:<8} {:>16} {:>10} {:>9} {:>12} {:>9} {:>12} {}\n", "name", "status", "E (eV)", "+- (eV)", "E (kJ/mol)",
             "+-", "tau0 (s)", "reason");
  for (const auto& r : dma.relaxations) {
    const auto& a = r.arrhenius;
    fmt::print("{:<8} {:>16} {:>10} {:>9} {:>12} {:>9} {:>12} {}\n", r.name, analysis::to_string(a.status),
               opt(a.energy_eV, "{:.3f}"), opt(a.energy_stderr_eV, "{:.3f}"), opt(a.energy_kJ_per_mol, "{:.1f}"),
               opt(a.energy_stderr_kJ_per_mol, "{:.1f}"), opt(a.tau0_s, "{:.3g}"), a.reason);
  }
}

void print_series_text(const analysis::SeqSeriesAnalysis& series) {
  fmt::print("\nSeq(T) smoothing: {}\n", series.whittaker.describe());
  const analysis::GlassTransitionFit& g = series.glass_transition;
  if (g.Tg_K) {
    fmt::print("Tg: {:.1f} K, 1-sigma interval {:.1f}-{:.1f} K (step width {:.1f} K, heat-capacity step {:.3g} J/(mol K), "
               "{:.1f} sigma)\n", *g.Tg_K, g.Tg_interval_lo_K, g.Tg_interval_hi_K, g.width_K, g.heat_capacity_step,
               g.step_significance);
  } else {
    fmt::print("Tg: - ({}: {})\n", analysis::to_string(g.status), g.reason);
  }
  fmt::print("Crystallization onset: {} K\n", opt(series.features.crystallization_onset_K, "{:.1f}"));
  fmt::print("{:<22} {:<16} {:>9} {:>8} {:>8}\n", "feature", "label", "T (K)", "T/Tg", "sigma");
  for (const auto& f : series.features.features) {
    fmt::print("{:<22} {:<16} {:>9.1f} {:>8} {:>8.1f}\n", analysis::to_string(f.kind), f.label, f.T_K,
               opt(f.T_over_Tg, "{:.3f}"), f.significance);
  }
}

/// A TRIOS export (LIMS text or JSON) as DMA samples of the chosen observable.
std::vector<analysis::DmaSample> trios_samples(const std::string& path, analysis::DmaObservable observable) {
  const rheometer::trios::TriosExport exported = rheometer::trios::read_export(path);
  for (const auto& warning : exported.warnings) fmt::print(stderr, "glasslab analyze: {}: {}\n", path, warning);
  std::vector<analysis::DmaSample> samples;
  samples.reserve(exported.points.size());
  for (const auto& p : exported.points) {
    const double value = observable == analysis::DmaObservable::tan_delta ? p.tan_delta : p.loss_Pa;
    samples.push_back({p.T_K, p.frequency_Hz, value});
  }
  return samples;
}

void run_file_mode(const AnalyzeOptions& o) {
  if (!o.gr_T_mid_K.empty() && o.gr_T_mid_K.size() != o.gr_files.size()) {
    throw UsageError(fmt::format("--T-mid-K has {} values for {} --gr files", o.gr_T_mid_K.size(), o.gr_files.size()));
  }
  const analysis::RunAnalysisOptions options = analysis_options(o);
  std::vector<analysis::FrameSeq> frames;
  for (std::size_t i = 0; i < o.gr_files.size(); ++i) {
    std::optional<double> T;
    if (!o.gr_T_mid_K.empty()) T = o.gr_T_mid_K[i];
    std::string text;
    try {
      text = read_file(o.gr_files[i]);
    } catch (const UsageError& e) {
      analysis::FrameSeq failed;
      failed.index = static_cast<int>(i);
      failed.source = o.gr_files[i];
      failed.reason = e.what();
      frames.push_back(std::move(failed));
      continue;
    }
    frames.push_back(analysis::analyze_frame_text(static_cast<int>(i), T, text, o.gr_files[i], options.seq));
  }
  std::vector<analysis::DmaSample> samples;
  if (!o.dma_csv.empty() && !o.trios.empty()) throw UsageError("analyze: give --dma-csv or --trios, not both");
  if (!o.dma_csv.empty()) samples = analysis::parse_dma_csv(read_file(o.dma_csv), o.dma_csv, options.dma.observable);
  if (!o.trios.empty()) samples = trios_samples(o.trios, options.dma.observable);
  const analysis::RunReport report = analysis::analyze_run(std::move(frames), samples, options);

  if (o.format == "json") {
    nlohmann::json out;
    if (!o.gr_files.empty() && samples.empty() && !report.series) {
      out = nlohmann::json::array();  // the documented per-file array
      for (const auto& f : report.frames) out.push_back(seq_json(f));
    } else if (o.gr_files.empty() && report.dma) {
      out = dma_json(*report.dma);
    } else {
      out = run_report_json(report);
    }
    fmt::print("{}\n", out.dump(2));
  } else {
    if (!report.frames.empty()) print_seq_table(report.frames);
    if (report.series) print_series_text(*report.series);
    if (!report.series_reason.empty() && !o.gr_T_mid_K.empty()) fmt::print("Seq(T) series: {}\n", report.series_reason);
    if (report.dma) {
      if (!report.frames.empty()) fmt::print("\n");
      print_dma_tables(*report.dma);
    }
  }
  if (!o.out_dir.empty()) {
    const PlotOutcome plots = write_report(o.out_dir, report, o.Tg_K);
    std::fflush(stdout);
    if (!plots.error.empty()) throw StoreError(fmt::format("report in {}: {}", o.out_dir, plots.error));
    fmt::print(stderr, "glasslab analyze: wrote {} files to {}\n", plots.files.size(), o.out_dir);
  }
  std::size_t failed = 0;
  for (const auto& f : report.frames) failed += f.seq ? 0 : 1;
  if (failed > 0) throw ProtocolError(fmt::format("{} of {} G(r) files could not be analysed", failed, report.frames.size()));
}

// ---- Store mode: glasslab analyze RUN ------------------------------------------------------------

/// The paper's activation energies (eV), printed beside the fitted ones.
double paper_energy_eV(const std::string& relaxation) {
  if (relaxation == "alpha") return 7.51;
  if (relaxation == "beta") return 1.29;
  if (relaxation == "gamma") return 0.28;
  return std::nan("");
}

/// Heating rate from the frames themselves: the median of the positive slopes dT_mid/dt between
/// consecutive frames (robust to holds, cooling segments and a noisy T_mid). nullopt when the
/// frames never heat.
std::optional<double> frames_heating_rate_K_per_min(const std::vector<acquisition::FrameRecord>& frames) {
  std::vector<double> slopes_K_per_s;
  const acquisition::FrameRecord* previous = nullptr;
  for (const auto& f : frames) {
    if (!f.T_mid_K || !std::isfinite(*f.T_mid_K)) continue;
    if (previous != nullptr) {
      const double dt_s = 0.5e-9 * static_cast<double>((f.t_start_mono_ns + f.t_end_mono_ns) -
                                                       (previous->t_start_mono_ns + previous->t_end_mono_ns));
      const double dT_K = *f.T_mid_K - *previous->T_mid_K;
      if (dt_s > 0 && dT_K > 0) slopes_K_per_s.push_back(dT_K / dt_s);
    }
    previous = &f;
  }
  if (slopes_K_per_s.empty()) return std::nullopt;
  std::nth_element(slopes_K_per_s.begin(), slopes_K_per_s.begin() + slopes_K_per_s.size() / 2, slopes_K_per_s.end());
  return slopes_K_per_s[slopes_K_per_s.size() / 2] * 60.0;
}

std::optional<double> sample_molar_mass(const std::string& sample_json) {
  try {
    const auto sample = nlohmann::json::parse(sample_json);
    if (sample.contains("molar_mass_g_per_mol") && sample["molar_mass_g_per_mol"].is_number()) {
      const double m = sample["molar_mass_g_per_mol"].get<double>();
      if (m > 0) return m;
    }
  } catch (const nlohmann::json::exception&) {
    // stored as given by the operator; the default composition is used then
  }
  return std::nullopt;
}

/// DMA points of one sweep as samples of the chosen observable.
std::map<std::string, std::vector<analysis::DmaSample>> dma_samples_by_sweep(
    const std::vector<acquisition::DmaPoint>& points, analysis::DmaObservable observable) {
  std::map<std::string, std::vector<analysis::DmaSample>> sweeps;
  for (const auto& p : points) {
    const double value = observable == analysis::DmaObservable::tan_delta ? p.tan_delta : p.loss_modulus_Pa;
    if (!std::isfinite(p.T_K) || !std::isfinite(p.frequency_Hz) || !std::isfinite(value)) continue;
    sweeps[p.sweep].push_back({p.T_K, p.frequency_Hz, value});
  }
  return sweeps;
}

struct StoredRunAnalysis {
  acquisition::RunInfo run;
  analysis::RunReport report;  ///< frames, series and the first sweep's DMA
  std::vector<std::pair<std::string, analysis::DmaAnalysis>> sweeps;  ///< every sweep by name
  double heating_rate_K_per_min = 10.0;
  std::string heating_rate_source;
  double molar_mass_g_per_mol = analysis::kCuZrAlHfCoMolarMass_g_per_mol;
  std::string report_dir;
  std::vector<analysis::FrameSeq> frames_outside_series;  ///< other steps' frames, stored per frame only
};

/// The step whose frames form the heating ramp: the one with most frames whose T_mid rises from
/// its first to its last frame. -1 when no step does (then every frame forms the series).
int heating_ramp_step(const std::vector<acquisition::FrameRecord>& frames) {
  std::map<int, std::vector<double>> T_by_step;
  for (const auto& f : frames)
    if (f.T_mid_K && std::isfinite(*f.T_mid_K)) T_by_step[f.step_index].push_back(*f.T_mid_K);
  int best = -1;
  std::size_t best_count = 1;
  for (const auto& [step, T] : T_by_step)
    if (T.size() > best_count && T.back() > T.front()) best = step, best_count = T.size();
  return best;
}

StoredRunAnalysis analyze_stored_run(const AnalyzeOptions& o, acquisition::RunId run_id, const std::string& db_path) {
  StoredRunAnalysis out;
  acquisition::RunReader reader(db_path);
  out.run = reader.run(run_id);
  const std::vector<acquisition::FrameRecord> frame_records = reader.frames(run_id);
  const std::vector<acquisition::DmaPoint> dma_points = reader.dma_points(run_id);

  AnalyzeOptions effective = o;
  if (!effective.heating_rate_K_per_min) {
    effective.heating_rate_K_per_min = frames_heating_rate_K_per_min(frame_records);
    out.heating_rate_source = effective.heating_rate_K_per_min ? "frames dT_mid/dt (median)" : "default 10 K/min";
  } else {
    out.heating_rate_source = "--heating-rate";
  }
  if (!effective.molar_mass_g_per_mol) effective.molar_mass_g_per_mol = sample_molar_mass(out.run.sample_json);
  const analysis::RunAnalysisOptions options = analysis_options(effective);
  out.heating_rate_K_per_min = options.series.heating_rate_K_per_s * 60.0;
  out.molar_mass_g_per_mol = *options.series.molar_mass_g_per_mol;

  // Seq(T) and its heat flow describe one heating ramp (the paper's 10 K/min). Frames of other
  // steps, such as the crystalline-state frame after cooling, are analysed and stored per frame
  // but kept out of the series, where they would read as a structural event at their temperature.
  const int ramp_step = heating_ramp_step(frame_records);
  std::vector<analysis::FrameSeq> frames;
  frames.reserve(frame_records.size());
  for (const auto& record : frame_records) {
    auto seq = acquisition::analyze_frame_file(record, options.seq);
    if (ramp_step < 0 || record.step_index == ramp_step) frames.push_back(std::move(seq));
    else out.frames_outside_series.push_back(std::move(seq));
  }

  auto sweeps = dma_samples_by_sweep(dma_points, options.dma.observable);
  std::vector<analysis::DmaSample> first_sweep;
  if (!sweeps.empty()) first_sweep = sweeps.begin()->second;
  out.report = analysis::analyze_run(std::move(frames), first_sweep, options);
  bool first = true;
  for (const auto& [name, samples] : sweeps) {
    if (first && out.report.dma) out.sweeps.emplace_back(name, *out.report.dma);
    else out.sweeps.emplace_back(name, analysis::analyze_dma(samples, options.dma));
    first = false;
  }
  return out;
}

/// Frame rows and derived results into the store, for the existing run (never its active run).
void store_results(const std::string& db_path, const StoredRunAnalysis& a) {
  acquisition::RunStore store(db_path);
  const auto now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  for (const auto& frame : a.report.frames) store.record_frame_analysis(acquisition::to_frame_analysis(frame, a.run.id, now_ns));
  for (const auto& frame : a.frames_outside_series)
    store.record_frame_analysis(acquisition::to_frame_analysis(frame, a.run.id, now_ns));
  if (a.report.series) {
    nlohmann::json series = series_json(*a.report.series);
    series["heating_rate_K_per_min"] = a.heating_rate_K_per_min;
    series["heating_rate_source"] = a.heating_rate_source;
    series["molar_mass_g_per_mol"] = a.molar_mass_g_per_mol;
    store.record_analysis_result(a.run.id, "seq_series", "series", series.dump());
  }
  for (const auto& [sweep, dma] : a.sweeps) {
    const nlohmann::json dj = dma_json(dma);
    for (const auto& relaxation : dj.value("relaxations", nlohmann::json::array())) {
      nlohmann::json row = relaxation;
      row["sweep"] = sweep;
      store.record_analysis_result(a.run.id, "dma_arrhenius", relaxation.value("name", std::string("?")), row.dump());
    }
    nlohmann::json fits = dj;
    fits["sweep"] = sweep;
    store.record_analysis_result(a.run.id, "dma_fits", sweep, fits.dump());
  }
  store.flush();
  if (auto error = store.writer_error()) throw StoreError(fmt::format("{}: writing the analysis of run {}: {}", db_path, a.run.id, *error));
}

nlohmann::json stored_run_json(const StoredRunAnalysis& a) {
  nlohmann::json j = run_report_json(a.report);
  j["run"] = a.run.id;
  j["heating_rate_K_per_min"] = a.heating_rate_K_per_min;
  j["heating_rate_source"] = a.heating_rate_source;
  j["molar_mass_g_per_mol"] = a.molar_mass_g_per_mol;
  j["report_dir"] = a.report_dir;
  nlohmann::json sweeps = nlohmann::json::object();
  for (const auto& [name, dma] : a.sweeps) sweeps[name.empty() ? std::string("(unnamed)") : name] = dma_json(dma);
  j["dma_sweeps"] = sweeps;
  return j;
}

void print_stored_run_summary(const StoredRunAnalysis& a) {
  const auto& frames = a.report.frames;
  std::size_t ok = 0;
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& f : frames) {
    if (!f.seq) continue;
    ++ok;
    lo = std::min(lo, f.seq->seq_J_per_mol_K);
    hi = std::max(hi, f.seq->seq_J_per_mol_K);
  }
  fmt::print("Run {} ({})\n", a.run.id, a.run.exit_status);
  if (!frames.empty() || !a.frames_outside_series.empty()) {
    fmt::print("{} frames of the heating ramp analysed of {}", ok, frames.size());
    if (!a.frames_outside_series.empty())
      fmt::print(" (+{} frames of other steps, stored per frame, not in Seq(T))", a.frames_outside_series.size());
    fmt::print("\n");
    if (ok > 0) fmt::print("Seq: {:.4f} .. {:.4f} J/(mol K)\n", lo, hi);
    for (const auto& f : frames) {
      if (!f.seq) fmt::print("  frame {}: not analysed: {}\n", f.index, f.reason);
    }
    fmt::print("Heating rate: {:.3f} K/min ({}), molar mass {:.3f} g/mol\n", a.heating_rate_K_per_min,
               a.heating_rate_source, a.molar_mass_g_per_mol);
  }
  if (a.report.series) print_series_text(*a.report.series);
  else if (!frames.empty()) fmt::print("Seq(T) series: {}\n", a.report.series_reason);
  for (const auto& [sweep, dma] : a.sweeps) {
    fmt::print("\nDMA sweep '{}': activation energies (paper: alpha 7.51, beta 1.29, gamma 0.28 eV)\n", sweep);
    fmt::print("{:<8} {:>16} {:>10} {:>9} {:>11} {}\n", "name", "status", "E (eV)", "+- (eV)", "paper (eV)", "reason");
    for (const auto& r : dma.relaxations) {
      const auto& fit = r.arrhenius;
      fmt::print("{:<8} {:>16} {:>10} {:>9} {:>11.2f} {}\n", r.name, analysis::to_string(fit.status),
                 opt(fit.energy_eV, "{:.3f}"), opt(fit.energy_stderr_eV, "{:.3f}"), paper_energy_eV(r.name), fit.reason);
    }
  }
  if (frames.empty() && a.sweeps.empty()) fmt::print("The run has no frames and no DMA points.\n");
}

acquisition::RunId parse_run_id(const std::string& text) {
  try {
    std::size_t used = 0;
    const acquisition::RunId id = std::stoll(text, &used);
    if (used != text.size() || id <= 0) throw std::invalid_argument("not a positive integer");
    return id;
  } catch (const std::exception&) {
    throw UsageError(fmt::format("analyze: RUN '{}' is not a run id (a positive integer)", text));
  }
}

/// Analyses one stored run, stores the results and writes its report folder. Returns the analysis
/// and adds any plotting failure to `plot_errors`.
StoredRunAnalysis analyze_store_and_report(const AnalyzeOptions& o, acquisition::RunId run_id, const std::string& db_path,
                                           const std::string& report_dir, std::string& plot_errors) {
  StoredRunAnalysis a = analyze_stored_run(o, run_id, db_path);
  a.report_dir = report_dir;
  store_results(db_path, a);
  std::filesystem::create_directories(a.report_dir);
  PlotOutcome plots = write_report(a.report_dir, a.report, o.Tg_K);
  for (std::size_t i = 1; i < a.sweeps.size() && plots.error.empty(); ++i) {  // further sweeps: own folders
    const auto& [name, dma] = a.sweeps[i];
    const PlotOutcome more = write_dma_plots((std::filesystem::path(a.report_dir) / ("dma-" + name)).string(), dma);
    plots.files.insert(plots.files.end(), more.files.begin(), more.files.end());
    plots.error = more.error;
  }
  if (!plots.error.empty()) plot_errors += fmt::format("{}report in {}: {}", plot_errors.empty() ? "" : "; ", a.report_dir, plots.error);
  fmt::print(stderr, "glasslab analyze: run {}: results stored in {}, {} files written to {}\n", run_id, db_path,
             plots.files.size(), a.report_dir);
  return a;
}

/// Fig. 2: every run's Seq(T) shifted to overlap the first run's in its supercooled liquid.
ComparedRuns compare_runs(const std::vector<StoredRunAnalysis>& analyses, double Tg_hint_K) {
  ComparedRuns compared;
  const analysis::SeqSeriesAnalysis* reference = nullptr;
  for (const auto& a : analyses) {
    if (!a.report.series) continue;
    if (!reference) {
      reference = &*a.report.series;
      compared.reference_run = a.run.id;
      compared.window = analysis::liquid_window(*reference, Tg_hint_K);
    }
    analysis::LiquidAlignment alignment = analysis::align_in_liquid(*a.report.series, *reference, compared.window);
    if (reference == &*a.report.series && alignment.offset) {
      alignment.offset = 0.0;  // the reference by definition; its rms is its own scatter about its smooth curve
      alignment.reason = "reference";
    }
    compared.runs.push_back({a.run.id, a.run.sample_json, &*a.report.series, alignment});
  }
  return compared;
}

void print_comparison(const ComparedRuns& compared) {
  fmt::print("\nSeq(T) aligned in the liquid of run {} ({:.1f}-{:.1f} K), as in the paper's Fig. 2:\n",
             compared.reference_run, compared.window.from_K, compared.window.to_K);
  fmt::print("{:>6} {:>22} {:>8} {:>18} {}\n", "run", "offset (J/(mol K))", "points", "rms after (J/(mol K))", "status");
  for (const auto& run : compared.runs) {
    const auto& a = run.alignment;
    fmt::print("{:>6} {:>22} {:>8} {:>18.4f} {}{}\n", run.id, opt(a.offset, "{:+.4f}"), a.overlap_points, a.rms_after,
               analysis::to_string(a.status), a.reason.empty() ? "" : ": " + a.reason);
  }
}

void run_store_mode(const AnalyzeOptions& o) {
  std::vector<acquisition::RunId> ids;
  for (const auto& text : o.runs) ids.push_back(parse_run_id(text));
  const std::string db_path = o.db_path.empty() ? default_db_path() : o.db_path;
  const std::filesystem::path reports = std::filesystem::path(db_path).parent_path() / "reports";
  std::string plot_errors;
  std::vector<StoredRunAnalysis> analyses;
  for (const auto id : ids) {
    // One run: --out is its folder. Several: --out holds a folder per run and the comparison.
    const std::string dir = ids.size() == 1 && !o.out_dir.empty() ? o.out_dir
                            : !o.out_dir.empty()                  ? (std::filesystem::path(o.out_dir) / fmt::format("run-{}", id)).string()
                                                                  : (reports / fmt::format("run-{}", id)).string();
    analyses.push_back(analyze_store_and_report(o, id, db_path, dir, plot_errors));
  }
  if (ids.size() == 1) {
    if (o.format == "json") fmt::print("{}\n", stored_run_json(analyses.front()).dump(2));
    else print_stored_run_summary(analyses.front());
  } else {
    std::string name = "compare";
    for (const auto id : ids) name += fmt::format("-{}", id);
    const std::string dir = o.out_dir.empty() ? (reports / name).string() : o.out_dir;
    const ComparedRuns compared = compare_runs(analyses, o.Tg_K);
    const PlotOutcome plots = write_comparison_plots(dir, compared, o.Tg_K);
    if (!plots.error.empty()) plot_errors += fmt::format("{}comparison in {}: {}", plot_errors.empty() ? "" : "; ", dir, plots.error);
    if (o.format == "json") {
      nlohmann::json runs = nlohmann::json::array();
      for (const auto& a : analyses) runs.push_back(stored_run_json(a));
      fmt::print("{}\n", nlohmann::json{{"runs", runs}, {"comparison", comparison_json(compared)}, {"comparison_dir", dir}}.dump(2));
    } else {
      for (const auto& a : analyses) {
        print_stored_run_summary(a);
        fmt::print("\n");
      }
      print_comparison(compared);
    }
  }
  std::fflush(stdout);
  if (!plot_errors.empty()) throw StoreError(plot_errors);
}

void run_analyze(const AnalyzeOptions& o) {
  if (!o.runs.empty()) {
    if (!o.gr_files.empty() || !o.dma_csv.empty() || !o.trios.empty()) {
      throw UsageError("analyze RUN: --gr, --dma-csv and --trios are for file mode; give RUN alone");
    }
    run_store_mode(o);
    return;
  }
  if (o.gr_files.empty() && o.dma_csv.empty() && o.trios.empty()) {
    throw UsageError("analyze: give RUN, --gr FILE..., --dma-csv FILE or --trios FILE");
  }
  run_file_mode(o);
}

}  // namespace

void add_analyze_command(CLI::App& app) {
  auto o = std::make_shared<AnalyzeOptions>();
  CLI::App* cmd = app.add_subcommand("analyze", "Seq from reduced PDFs, heat flow, and DMA activation energies");
  cmd->add_option("RUN", o->runs,
                  "Run id(s) in the store: analyse frames and DMA sweeps; several runs are also compared, their "
                  "Seq(T) shifted to overlap in the first run's liquid (paper Fig. 2)");
  cmd->add_option("--db", o->db_path, "Run store (SQLite)")->default_str(default_db_path());
  cmd->add_option("--out", o->out_dir, "Report folder: report.json, data files, gnuplot scripts, PNG and SVG");
  cmd->add_option("--gr", o->gr_files, "Reduced PDF G(r) files (PDFgetX3 .gr or 2/3-column text)")->expected(1, -1);
  cmd->add_option("--T-mid-K", o->gr_T_mid_K, "Mid-exposure temperature per --gr file (enables Seq(T), heat flow)")
      ->expected(1, -1);
  cmd->add_option("--rho0", o->rho0_per_A3, "Number density rho0 (A^-3); default: fitted from the low-r slope")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--r-min", o->r_min_A, "Excluded-volume radius (A): g = 0 below it")->check(CLI::NonNegativeNumber);
  cmd->add_option("--r-max", o->r_max_A, "Upper integration limit (A); default 10, clipped to the data")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--dma-csv", o->dma_csv, "DMA CSV with columns T_K,frequency_Hz,tan_delta[,loss_modulus_Pa]");
  cmd->add_option("--trios", o->trios, "TRIOS export (LIMS text or JSON)");
  cmd->add_option("--observable", o->observable, "Loss observable fitted at every frequency")
      ->check(CLI::IsMember({"tan_delta", "loss_modulus"}))
      ->capture_default_str();
  cmd->add_option("--background-degree", o->background_degree, "Polynomial degree of the loss background")
      ->check(CLI::Range(0, 3))
      ->capture_default_str();
  cmd->add_option("--heating-rate", o->heating_rate_K_per_min, "Heating rate beta_h of the XRD ramp (K/min); default: the frames' dT_mid/dt (RUN), else 10")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--molar-mass", o->molar_mass_g_per_mol, "Molar mass for W/g (g/mol); default: the run's sample, else 75.006")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--Tg", o->Tg_K, "Expected glass transition (K): Tg search window and T/Tg axis")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--format", o->format, "Output format")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
  cmd->callback([o] { run_analyze(*o); });
}

}  // namespace glasslab::app
