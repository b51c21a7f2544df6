#pragma once
// Output of the analysis: JSON documents (nlohmann-json) and plots made with gnuplot
// (docs/analysis.md, "Reports"). For every plot a data file and an editable .gp script are
// written into the report folder and gnuplot is run there, producing PNG (pngcairo, or png
// when cairo is missing) and SVG. Shared by `glasslab analyze` on files and, later, on a run.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/run_analysis.hpp"

namespace glasslab::app {

/// {"file","rho0_per_A3","rho0_fitted","r_max_A","seq_kB_per_atom","seq_J_per_mol_K", ...details}
nlohmann::json seq_json(const analysis::FrameSeq& frame);
/// Per frequency peaks and per relaxation {"name","activation_energy_eV","activation_energy_eV_stderr",
/// "tau0_s","peak_temperatures_K":{frequency: T}, ...}.
nlohmann::json dma_json(const analysis::DmaAnalysis& dma);
nlohmann::json series_json(const analysis::SeqSeriesAnalysis& series);
nlohmann::json run_report_json(const analysis::RunReport& report);

/// "0.05", "15": the key of a frequency in JSON and tables.
std::string frequency_key(double frequency_Hz);

struct PlotOutcome {
  std::vector<std::string> files;  ///< data, scripts and images written (paths)
  std::string error;               ///< gnuplot's failure, empty on success
};

/// Seq(T) (raw, Whittaker, Savitzky-Golay) and heat flow against T/Tg.
PlotOutcome write_series_plots(const std::string& directory, const analysis::SeqSeriesAnalysis& series,
                               double Tg_for_axis_K);
/// tan delta(T) per frequency with the fitted peaks, and the Arrhenius plot.
PlotOutcome write_dma_plots(const std::string& directory, const analysis::DmaAnalysis& dma);
/// Several runs' Seq(T) compared as in the paper's Fig. 2 (glasslab analyze RUN RUN...).
struct ComparedRun {
  std::int64_t id = 0;
  std::string sample_json;
  const analysis::SeqSeriesAnalysis* series = nullptr;
  analysis::LiquidAlignment alignment;  ///< offset that overlaps this run with the reference's liquid
};
struct ComparedRuns {
  std::int64_t reference_run = 0;
  analysis::LiquidWindow window;
  std::vector<ComparedRun> runs;  ///< the reference first (offset 0)
};
nlohmann::json comparison_json(const ComparedRuns& compared);
/// seq_T_aligned (each run shifted by its offset, the liquid window marked) and heat_flow_compare
/// (against T/Tg), with their data files and scripts.
PlotOutcome write_comparison_plots(const std::string& directory, const ComparedRuns& compared, double Tg_for_axis_K);

/// report.json plus every plot the report supports.
PlotOutcome write_report(const std::string& directory, const analysis::RunReport& report, double Tg_for_axis_K);

}  // namespace glasslab::app
