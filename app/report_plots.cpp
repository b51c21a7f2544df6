// JSON and gnuplot output of the analysis (see report_plots.hpp).
#include "app/report_plots.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "analysis/fit_status.hpp"
#include "core/error.hpp"

namespace glasslab::app {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json optional_number(const std::optional<double>& value) {
  return value && std::isfinite(*value) ? json(*value) : json(nullptr);
}

json peak_json(const analysis::PeakFit& peak) {
  return {{"name", peak.name},
          {"status", analysis::to_string(peak.status)},
          {"reason", peak.reason},
          {"Tp_K", optional_number(peak.Tp_K)},
          {"Tp_stderr_K", optional_number(peak.Tp_stderr_K)},
          {"height", optional_number(peak.height)},
          {"height_stderr", optional_number(peak.height_stderr)},
          {"width_K", optional_number(peak.width_K)},
          {"width_stderr_K", optional_number(peak.width_stderr_K)},
          {"shape_b", peak.shape_b},
          {"Tp_initial_K", peak.Tp_initial_K}};
}

void write_text(const fs::path& path, const std::string& text, PlotOutcome& outcome) {
  std::ofstream out(path);
  out << text;
  if (!out) throw StoreError(fmt::format("{}: cannot write: {}", path.string(), std::strerror(errno)));
  outcome.files.push_back(path.string());
}

/// Runs `gnuplot script` with the report folder as working directory (scripts use relative names).
std::string run_gnuplot(const fs::path& directory, const std::string& script) {
  const pid_t pid = fork();
  if (pid < 0) return fmt::format("fork failed: {}", std::strerror(errno));
  if (pid == 0) {
    if (chdir(directory.c_str()) != 0) _exit(126);
    execlp("gnuplot", "gnuplot", script.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127) return "gnuplot not found on PATH (install gnuplot-nox)";
  return fmt::format("gnuplot {} in {} failed (status {})", script, directory.string(), status);
}

/// Terminal selection inside the script: pngcairo when the build has it, else libgd png.
constexpr const char* kTerminalPrologue = R"GP(# Edit freely and re-run: gnuplot {script}
set encoding utf8
do for [fmt in "png svg"] {{
  if (fmt eq "png") {{
    if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {{ set terminal pngcairo size 1000,700 enhanced font "sans,11" }} else {{ set terminal png size 1000,700 }}
  }} else {{
    set terminal svg size 1000,700 enhanced font "sans,11"
  }}
  set output "{stem}.".fmt
)GP";

std::string script_header(const std::string& script, const std::string& stem) {
  return fmt::format(kTerminalPrologue, fmt::arg("script", script), fmt::arg("stem", stem));
}

void finish_plot(const fs::path& dir, const std::string& script, const std::string& stem, const std::string& body,
                 PlotOutcome& outcome) {
  write_text(dir / script, script_header(script, stem) + body + "  unset output\n}\n", outcome);
  const std::string error = run_gnuplot(dir, script);
  if (!error.empty()) {
    outcome.error += (outcome.error.empty() ? "" : "; ") + error;
    return;
  }
  outcome.files.push_back((dir / (stem + ".png")).string());
  outcome.files.push_back((dir / (stem + ".svg")).string());
}

}  // namespace

std::string frequency_key(double frequency_Hz) { return fmt::format("{:g}", frequency_Hz); }

json seq_json(const analysis::FrameSeq& frame) {
  json j{{"file", frame.source}};
  if (frame.T_mid_K) j["T_mid_K"] = *frame.T_mid_K;
  if (!frame.seq) {
    j["error"] = frame.reason;
    return j;
  }
  const analysis::SeqResult& s = *frame.seq;
  j["rho0_per_A3"] = s.rho0_per_A3;
  j["rho0_fitted"] = s.rho0_fitted;
  j["r_max_A"] = s.r_max_A;
  j["seq_kB_per_atom"] = s.seq_kB_per_atom;
  j["seq_J_per_mol_K"] = s.seq_J_per_mol_K;
  j["r_min_A"] = optional_number(s.r_min_A);
  j["r_max_clipped"] = s.r_max_clipped;
  j["points_used"] = s.points_used;
  j["g_floor"] = s.g_floor;
  if (s.rho0_fit) {
    const analysis::Rho0Fit& f = *s.rho0_fit;
    j["rho0_fit"] = {{"window_A", {f.window_lo_A, f.window_hi_A}},
                     {"points", f.points},
                     {"rho0_stderr_per_A3", optional_number(f.rho0_stderr_per_A3)},
                     {"first_peak_r_A", optional_number(f.first_peak_r_A)},
                     {"rms_residual_per_A2", f.rms_residual_per_A2},
                     {"window_rule", f.window_rule}};
  }
  return j;
}

json dma_json(const analysis::DmaAnalysis& dma) {
  json frequencies = json::array();
  for (const analysis::FrequencyFit& fit : dma.fits) {
    json peaks = json::array();
    for (const auto& peak : fit.peaks) peaks.push_back(peak_json(peak));
    frequencies.push_back({{"frequency_Hz", fit.frequency_Hz},
                           {"status", analysis::to_string(fit.status)},
                           {"reason", fit.reason},
                           {"points", fit.points},
                           {"peaks", peaks},
                           {"skipped", fit.skipped},
                           {"residual_rms", fit.residual_rms},
                           {"condition_number", std::isfinite(fit.condition_number) ? json(fit.condition_number) : json(nullptr)},
                           {"solver_status", fit.solver_status},
                           {"function_evaluations", fit.function_evaluations}});
  }
  json relaxations = json::array();
  for (const analysis::RelaxationResult& r : dma.relaxations) {
    const analysis::ArrheniusFit& a = r.arrhenius;
    json temperatures = json::object(), temperature_errors = json::object();
    for (const auto& p : r.points) {
      temperatures[frequency_key(p.frequency_Hz)] = p.Tp_K;
      temperature_errors[frequency_key(p.frequency_Hz)] = optional_number(p.Tp_stderr_K);
    }
    relaxations.push_back({{"name", r.name},
                           {"status", analysis::to_string(a.status)},
                           {"reason", a.reason},
                           {"activation_energy_eV", optional_number(a.energy_eV)},
                           {"activation_energy_eV_stderr", optional_number(a.energy_stderr_eV)},
                           {"activation_energy_kJ_per_mol", optional_number(a.energy_kJ_per_mol)},
                           {"activation_energy_kJ_per_mol_stderr", optional_number(a.energy_stderr_kJ_per_mol)},
                           {"tau0_s", optional_number(a.tau0_s)},
                           {"ln_tau0_s", optional_number(a.ln_tau0)},
                           {"weighted", a.weighted},
                           {"peak_temperatures_K", temperatures},
                           {"peak_temperature_stderr_K", temperature_errors},
                           {"residuals_ln_f", a.residuals_ln_f}});
  }
  return {{"observable", analysis::to_string(dma.observable)}, {"frequencies", frequencies}, {"relaxations", relaxations}};
}

json series_json(const analysis::SeqSeriesAnalysis& series) {
  json features = json::array();
  for (const auto& f : series.features.features) {
    features.push_back({{"kind", analysis::to_string(f.kind)},
                        {"label", f.label},
                        {"T_K", f.T_K},
                        {"T_over_Tg", optional_number(f.T_over_Tg)},
                        {"value", f.value},
                        {"prominence", f.prominence},
                        {"criterion", f.criterion}});
  }
  const auto& w = series.whittaker;
  return {{"smoothing", {{"method", "whittaker"}, {"order", w.order}, {"lambda", w.lambda},
                         {"lambda_from_gcv", w.lambda_from_gcv}, {"gcv_score", w.gcv_score},
                         {"effective_dof", w.effective_dof}, {"residual_rms_J_per_mol_K", w.residual_rms},
                         {"description", w.describe()}}},
          {"baseline", series.savitzky_golay ? json(series.savitzky_golay->describe()) : json(series.savitzky_golay_reason)},
          {"heating_rate_K_per_s", series.heat_flow.heating_rate_K_per_s},
          {"molar_mass_g_per_mol", optional_number(series.heat_flow.molar_mass_g_per_mol)},
          {"T_K", series.heat_flow.T_K},
          {"seq_smooth_J_per_mol_K", series.heat_flow.seq_smooth_J_per_mol_K},
          {"dseq_dT_J_per_mol_K2", series.heat_flow.dseq_dT_J_per_mol_K2},
          {"delta_c_J_per_mol_K", series.heat_flow.delta_c_J_per_mol_K},
          {"delta_phi_W_per_mol", series.heat_flow.delta_phi_W_per_mol},
          {"delta_phi_W_per_g", series.heat_flow.delta_phi_W_per_g},
          {"Tg_K", optional_number(series.features.Tg_K)},
          {"crystallization_onset_K", optional_number(series.features.crystallization_onset_K)},
          {"feature_criteria", series.features.criteria},
          {"features", features}};
}

json run_report_json(const analysis::RunReport& report) {
  json frames = json::array();
  for (const auto& f : report.frames) frames.push_back(seq_json(f));
  json j{{"frames", frames}};
  j["series"] = report.series ? series_json(*report.series) : json(nullptr);
  if (!report.series_reason.empty()) j["series_reason"] = report.series_reason;
  j["dma"] = report.dma ? dma_json(*report.dma) : json(nullptr);
  return j;
}

PlotOutcome write_series_plots(const std::string& directory, const analysis::SeqSeriesAnalysis& series,
                               double Tg_for_axis_K) {
  PlotOutcome outcome;
  const fs::path dir(directory);
  fs::create_directories(dir);
  const analysis::HeatFlow& hf = series.heat_flow;
  const bool per_gram = !hf.delta_phi_W_per_g.empty();
  std::string data = "# T_K  seq_J_per_mol_K(input)  seq_whittaker  seq_savitzky_golay  dseq_dT_J_per_mol_K2  "
                     "delta_phi_W_per_mol  delta_phi_W_per_g  T_over_Tg  delta_phi_sg_W_per_mol\n";
  for (std::size_t i = 0; i < hf.T_K.size(); ++i) {
    const double sg = series.savitzky_golay ? series.savitzky_golay->y_smooth[i] : NAN;
    const double sg_phi = series.heat_flow_savitzky_golay ? series.heat_flow_savitzky_golay->delta_phi_W_per_mol[i] : NAN;
    data += fmt::format("{:.6f} {:.9g} {:.9g} {:.9g} {:.9g} {:.9g} {:.9g} {:.6f} {:.9g}\n", hf.T_K[i],
                        series.whittaker.y_input[i], hf.seq_smooth_J_per_mol_K[i], sg, hf.dseq_dT_J_per_mol_K2[i],
                        hf.delta_phi_W_per_mol[i], per_gram ? hf.delta_phi_W_per_g[i] : NAN, hf.T_K[i] / Tg_for_axis_K, sg_phi);
  }
  write_text(dir / "seq_series.dat", data, outcome);

  finish_plot(dir, "seq_T.gp", "seq_T", fmt::format(R"GP(  set title "Equivalent configurational entropy (Eq. 2)"
  set xlabel "T_{{mid}} (K)"
  set ylabel "S_{{eq}} (J mol^{{-1}} K^{{-1}})"
  set key bottom right
  set grid
  plot "seq_series.dat" using 1:2 with points pt 7 ps 0.5 lc rgb "#888888" title "frames", \
       "" using 1:3 with lines lw 2 lc rgb "#1f77b4" title "Whittaker, GCV λ = {:.3g}", \
       "" using 1:4 with lines dt 2 lc rgb "#d62728" title "Savitzky–Golay baseline"
)GP", series.whittaker.lambda), outcome);

  const int phi_column = per_gram ? 7 : 6;
  const double scale_sg = per_gram ? 1.0 / *hf.molar_mass_g_per_mol : 1.0;
  finish_plot(dir, "heat_flow.gp", "heat_flow", fmt::format(R"GP(  set title "Equivalent configurational heat flow (Eq. 3), β_h = {:.4g} K/min"
  set xlabel "T / T_g  (T_g = {:.1f} K)"
  set ylabel "Δφ_{{eq}} ({})"
  set grid
  set key top left
  set arrow 1 from 1, graph 0 to 1, graph 1 nohead dt 3 lc rgb "#444444"
  plot "seq_series.dat" using 8:{} with lines lw 2 lc rgb "#1f77b4" title "from Whittaker derivative", \
       "" using 8:($9*{:.9g}) with lines dt 2 lc rgb "#d62728" title "from Savitzky–Golay"
)GP", hf.heating_rate_K_per_s * 60, Tg_for_axis_K, per_gram ? "W g^{-1}" : "W mol^{-1}", phi_column, scale_sg), outcome);
  return outcome;
}

PlotOutcome write_dma_plots(const std::string& directory, const analysis::DmaAnalysis& dma) {
  PlotOutcome outcome;
  const fs::path dir(directory);
  fs::create_directories(dir);
  const std::string observable = dma.observable == analysis::DmaObservable::tan_delta ? "tan δ" : "E'' or G'' (Pa)";
  std::string data = "# blocks per frequency: T_K  observed  fitted_model  background\n";
  std::string titles;
  for (std::size_t k = 0; k < dma.data.size(); ++k) {
    const auto& group = dma.data[k];
    const auto& fit = dma.fits[k];
    data += fmt::format("# frequency_Hz = {} status = {}\n", frequency_key(group.frequency_Hz), analysis::to_string(fit.status));
    for (std::size_t i = 0; i < group.T_K.size(); ++i) {
      const double model = analysis::evaluate_fit(fit, group.T_K[i]);
      const double background = fit.status == analysis::FitStatus::ok ? analysis::evaluate_background(fit, group.T_K[i]) : NAN;
      data += fmt::format("{:.4f} {:.9g} {:.9g} {:.9g}\n", group.T_K[i], group.value[i], model, background);
    }
    data += "\n\n";
    titles += (titles.empty() ? "" : " ") + frequency_key(group.frequency_Hz);
  }
  write_text(dir / "dma_fits.dat", data, outcome);
  finish_plot(dir, "dma_fits.gp", "dma_fits", fmt::format(R"GP(  set title "DMA loss peaks: Cole–Cole peaks on a polynomial background"
  set xlabel "T (K)"
  set ylabel "{}"
  set logscale y
  set grid
  set key top left
  freqs = "{}"
  n = words(freqs)
  plot for [i=0:n-1] "dma_fits.dat" index i using 1:2 with points pt 7 ps 0.4 lc i+1 title word(freqs, i+1)." Hz", \
       for [i=0:n-1] "dma_fits.dat" index i using 1:3 with lines lw 2 lc i+1 notitle
)GP", observable, titles), outcome);

  std::string arrhenius = "# blocks per relaxation: 1000/Tp (1/K)  ln(f/Hz)  sigma(1000/Tp)  fitted ln f\n";
  std::string names;
  int blocks = 0;
  for (const auto& r : dma.relaxations) {
    if (r.points.empty()) continue;
    arrhenius += fmt::format("# {} status = {}\n", r.name, analysis::to_string(r.arrhenius.status));
    for (const auto& p : r.points) {
      const double fitted = r.arrhenius.slope_K ? *r.arrhenius.intercept + *r.arrhenius.slope_K / p.Tp_K : NAN;
      arrhenius += fmt::format("{:.9g} {:.9g} {:.9g} {:.9g}\n", 1000.0 / p.Tp_K, std::log(p.frequency_Hz),
                               1000.0 * p.Tp_stderr_K.value_or(0.0) / (p.Tp_K * p.Tp_K), fitted);
    }
    arrhenius += "\n\n";
    const std::string label = r.arrhenius.energy_eV
                                  ? fmt::format("{}: E = {:.3f} ± {:.3f} eV", r.name, *r.arrhenius.energy_eV, *r.arrhenius.energy_stderr_eV)
                                  : fmt::format("{}: {}", r.name, analysis::to_string(r.arrhenius.status));
    names += (names.empty() ? "\"" : ", \"") + label + "\"";
    ++blocks;
  }
  write_text(dir / "arrhenius.dat", arrhenius, outcome);
  if (blocks > 0) {
    finish_plot(dir, "arrhenius.gp", "arrhenius", fmt::format(R"GP(  set title "Arrhenius plot: ln f = -ln(2πτ_0) - E/(k T_p)"
  set xlabel "1000 / T_p (K^{{-1}})"
  set ylabel "ln (f / Hz)"
  set grid
  set key bottom left noenhanced
  n = {1}
  array labels[n] = [{0}]
  plot for [i=0:n-1] "arrhenius.dat" index i using 1:2:3 with xerrorbars pt 7 lc i+1 title labels[i+1], \
       for [i=0:n-1] "arrhenius.dat" index i using 1:4 with lines lc i+1 notitle
)GP", names, blocks), outcome);
  }
  return outcome;
}

PlotOutcome write_report(const std::string& directory, const analysis::RunReport& report, double Tg_for_axis_K) {
  PlotOutcome outcome;
  fs::create_directories(directory);
  write_text(fs::path(directory) / "report.json", run_report_json(report).dump(2) + "\n", outcome);
  auto merge = [&](PlotOutcome part) {
    outcome.files.insert(outcome.files.end(), part.files.begin(), part.files.end());
    if (!part.error.empty()) outcome.error += (outcome.error.empty() ? "" : "; ") + part.error;
  };
  if (report.series) merge(write_series_plots(directory, *report.series, Tg_for_axis_K));
  if (report.dma) merge(write_dma_plots(directory, *report.dma));
  return outcome;
}

}  // namespace glasslab::app
