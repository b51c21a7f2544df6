// glasslab analyze: Seq from reduced PDFs and activation energies from DMA sweeps
// (docs/analysis.md). File mode works on .gr files and DMA CSV; the run mode (RUN from the store)
// shares every computation through analysis::analyze_run and report_plots.
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "analysis/dma.hpp"
#include "analysis/run_analysis.hpp"
#include "app/commands.hpp"
#include "app/report_plots.hpp"
#include "core/error.hpp"

namespace glasslab::app {
namespace {

struct AnalyzeOptions {
  std::string run;                    ///< positional RUN id (store mode)
  std::string db_path;
  std::string out_dir;
  std::vector<std::string> gr_files;
  std::vector<double> gr_T_mid_K;     ///< optional, one per --gr file, enables the Seq(T) series
  std::optional<double> rho0_per_A3, r_min_A, r_max_A;
  std::string dma_csv;
  std::string trios;
  std::string format = "text";
  std::string observable = "tan_delta";
  double heating_rate_K_per_min = 10.0;
  double molar_mass_g_per_mol = analysis::kCuZrAlHfCoMolarMass_g_per_mol;
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
  options.series.heating_rate_K_per_s = o.heating_rate_K_per_min / 60.0;
  options.series.molar_mass_g_per_mol = o.molar_mass_g_per_mol;
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
  fmt::print("Tg: {} K, crystallization onset: {} K\n", opt(series.features.Tg_K, "{:.1f}"),
             opt(series.features.crystallization_onset_K, "{:.1f}"));
  fmt::print("{:<22} {:<14} {:>9} {:>8}\n", "feature", "label", "T (K)", "T/Tg");
  for (const auto& f : series.features.features) {
    fmt::print("{:<22} {:<14} {:>9.1f} {:>8}\n", analysis::to_string(f.kind), f.label, f.T_K, opt(f.T_over_Tg, "{:.3f}"));
  }
}

void run_file_mode(const AnalyzeOptions& o) {
  if (!o.trios.empty()) {
    throw UsageError("--trios: the TRIOS export parser (drivers/rheometer/trios*) is not available in this build yet; "
                     "export T_K,frequency_Hz,tan_delta CSV and use --dma-csv");
  }
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
  if (!o.dma_csv.empty()) samples = analysis::parse_dma_csv(read_file(o.dma_csv), o.dma_csv, options.dma.observable);
  const analysis::RunReport report = analysis::analyze_run(std::move(frames), samples, options);

  if (o.format == "json") {
    nlohmann::json out;
    if (!o.gr_files.empty() && o.dma_csv.empty() && !report.series) {
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

void run_analyze(const AnalyzeOptions& o) {
  if (!o.run.empty()) {
    // TODO(lead): load the run's frames (T_mid_K, .gr files) and DMA points from the store at
    // o.db_path, call analysis::analyze_run, store the results, then write_report(o.out_dir, ...).
    throw UsageError(fmt::format("analyze {}: analysing a stored run is not wired to the run store yet; "
                                 "use --gr FILE... [--T-mid-K T...] and/or --dma-csv FILE", o.run));
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
  cmd->add_option("RUN", o->run, "Run id in the store (analyse its frames and DMA sweeps)");
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
  cmd->add_option("--heating-rate", o->heating_rate_K_per_min, "Heating rate beta_h of the XRD ramp (K/min)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--molar-mass", o->molar_mass_g_per_mol, "Molar mass for W/g (g/mol)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--Tg", o->Tg_K, "Expected glass transition (K): Tg search window and T/Tg axis")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--format", o->format, "Output format")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
  cmd->callback([o] { run_analyze(*o); });
}

}  // namespace glasslab::app
