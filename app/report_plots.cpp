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
    if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {{ set terminal pngcairo size {w},{h} enhanced font "sans,11" }} else {{ set terminal png size {w},{h} }}
  }} else {{
    set terminal svg size {w},{h} enhanced font "sans,11"
  }}
  set output "{stem}.".fmt
)GP";

std::string script_header(const std::string& script, const std::string& stem, int height_px) {
  return fmt::format(kTerminalPrologue, fmt::arg("script", script), fmt::arg("stem", stem), fmt::arg("w", 1000),
                     fmt::arg("h", height_px));
}

void finish_plot(const fs::path& dir, const std::string& script, const std::string& stem, const std::string& body,
                 PlotOutcome& outcome, int height_px = 700) {
  write_text(dir / script, script_header(script, stem, height_px) + body + "  unset output\n}\n", outcome);
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

json smoothing_json(const analysis::SmoothedSeries& w) {
  return {{"method", w.method}, {"order", w.order}, {"lambda", w.lambda}, {"lambda_from_gcv", w.lambda_from_gcv},
          {"gcv_score", w.gcv_score}, {"effective_dof", w.effective_dof}, {"residual_rms_J_per_mol_K", w.residual_rms},
          {"T_range_K", {w.x.front(), w.x.back()}}, {"points", w.x.size()}, {"description", w.describe()}};
}

json glass_transition_json(const analysis::GlassTransitionFit& g) {
  return {{"status", analysis::to_string(g.status)},
          {"reason", g.reason},
          {"Tg_K", optional_number(g.Tg_K)},
          {"Tg_stderr_K", optional_number(g.Tg_stderr_K)},
          {"Tg_interval_K", {g.Tg_interval_lo_K, g.Tg_interval_hi_K}},
          {"width_K", g.width_K},
          {"slope_glass_J_per_mol_K2", g.slope_glass},
          {"slope_liquid_J_per_mol_K2", g.slope_liquid},
          {"heat_capacity_step_J_per_mol_K", g.heat_capacity_step},
          {"relaxation_drop_J_per_mol_K", g.relaxation_drop},
          {"step_significance_sigma", g.step_significance},
          {"window_K", {g.window_lo_K, g.window_hi_K}},
          {"Tg_search_K", {g.centre_lo_K, g.centre_hi_K}},
          {"points", g.points},
          {"residual_rms_J_per_mol_K", g.residual_rms},
          {"method", g.method}};
}

json crystallization_json(const std::optional<analysis::Crystallization>& c) {
  if (!c) return nullptr;
  return {{"onset_K", c->onset_K},
          {"steepest_K", c->steepest_K},
          {"steepest_slope_J_per_mol_K2", c->steepest_slope},
          {"preceding_maximum_K", c->preceding_maximum_K},
          {"fall_end_K", c->fall_end_K},
          {"drop_J_per_mol_K", c->drop},
          {"drop_over_noise", c->drop_over_noise},
          {"slope_fwhm_K", c->slope_fwhm_K},
          {"liquid_end_K", c->liquid_end_K},
          {"criterion", c->criterion}};
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
                        {"significance_sigma", std::isfinite(f.significance) ? json(f.significance) : json(nullptr)},
                        {"criterion", f.criterion}});
  }
  json segments = json::array();
  for (const auto& segment : series.segments) segments.push_back(smoothing_json(segment));
  // Standard errors exist for the part below crystallization (the first points); null after it.
  json slope_stderr = json::array();
  for (std::size_t i = 0; i < series.heat_flow.T_K.size(); ++i)
    slope_stderr.push_back(optional_number(i < series.feature_errors.slope_stderr.size()
                                               ? std::optional<double>(series.feature_errors.slope_stderr[i])
                                               : std::nullopt));
  json smoothing = smoothing_json(series.whittaker);
  smoothing["segments"] = segments;
  return {{"smoothing", smoothing},
          {"baseline", series.savitzky_golay ? json(series.savitzky_golay->describe()) : json(series.savitzky_golay_reason)},
          {"heating_rate_K_per_s", series.heat_flow.heating_rate_K_per_s},
          {"molar_mass_g_per_mol", optional_number(series.heat_flow.molar_mass_g_per_mol)},
          {"T_K", series.heat_flow.T_K},
          {"seq_smooth_J_per_mol_K", series.heat_flow.seq_smooth_J_per_mol_K},
          {"dseq_dT_J_per_mol_K2", series.heat_flow.dseq_dT_J_per_mol_K2},
          {"dseq_dT_stderr_J_per_mol_K2", slope_stderr},
          {"noise_sigma_J_per_mol_K", series.feature_errors.noise_sigma},
          {"delta_c_J_per_mol_K", series.heat_flow.delta_c_J_per_mol_K},
          {"delta_phi_W_per_mol", series.heat_flow.delta_phi_W_per_mol},
          {"delta_phi_W_per_g", series.heat_flow.delta_phi_W_per_g},
          {"Tg_K", optional_number(series.features.Tg_K)},
          {"Tg_stderr_K", optional_number(series.glass_transition.Tg_stderr_K)},
          {"glass_transition", glass_transition_json(series.glass_transition)},
          {"crystallization_onset_K", optional_number(series.features.crystallization_onset_K)},
          {"crystallization", crystallization_json(series.crystallization)},
          {"feature_smoothing", series.features.smoothing},
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

namespace {

/// seq_series.dat: one row per point, a blank line between separately smoothed parts (so gnuplot
/// does not join them). features.dat: the located features for labelled points.
void write_series_data(const fs::path& dir, const analysis::SeqSeriesAnalysis& series, double Tg_for_axis_K,
                       PlotOutcome& outcome) {
  const analysis::HeatFlow& hf = series.heat_flow;
  const bool per_gram = !hf.delta_phi_W_per_g.empty();
  const double to_plot_unit = per_gram ? 1.0 / *hf.molar_mass_g_per_mol : 1.0;
  std::string data = "# T_K  seq_J_per_mol_K(input)  seq_whittaker  seq_savitzky_golay  dseq_dT_J_per_mol_K2  "
                     "delta_phi_W_per_mol  delta_phi_W_per_g  T_over_Tg  delta_phi_sg_W_per_mol  "
                     "delta_phi_stderr(plot unit, NaN above crystallization)\n";
  std::size_t segment_end = series.segments.front().x.size(), segment = 0;
  for (std::size_t i = 0; i < hf.T_K.size(); ++i) {
    if (i == segment_end && segment + 1 < series.segments.size()) {
      data += "\n";
      segment_end += series.segments[++segment].x.size();
    }
    const double sg = series.savitzky_golay ? series.savitzky_golay->y_smooth[i] : NAN;
    const double sg_phi = series.heat_flow_savitzky_golay ? series.heat_flow_savitzky_golay->delta_phi_W_per_mol[i] : NAN;
    const auto& stderr_slope = series.feature_errors.slope_stderr;
    const double phi_stderr = i < stderr_slope.size() ? hf.T_K[i] * hf.heating_rate_K_per_s * stderr_slope[i] * to_plot_unit : NAN;
    data += fmt::format("{:.6f} {:.9g} {:.9g} {:.9g} {:.9g} {:.9g} {:.9g} {:.6f} {:.9g} {:.9g}\n", hf.T_K[i],
                        series.whittaker.y_input[i], hf.seq_smooth_J_per_mol_K[i], sg, hf.dseq_dT_J_per_mol_K2[i],
                        hf.delta_phi_W_per_mol[i], per_gram ? hf.delta_phi_W_per_g[i] : NAN, hf.T_K[i] / Tg_for_axis_K,
                        sg_phi, phi_stderr);
  }
  write_text(dir / "seq_series.dat", data, outcome);
  std::string features = "# T_K  T_over_Tg(axis)  delta_phi(plot unit)  seq_smooth_J_per_mol_K  kind  label\n";
  for (const auto& f : series.features.features) {
    const double phi = analysis::interpolate_linear(hf.T_K, hf.delta_phi_W_per_mol, f.T_K) * to_plot_unit;
    const double seq = analysis::interpolate_linear(hf.T_K, hf.seq_smooth_J_per_mol_K, f.T_K);
    features += fmt::format("{:.3f} {:.6f} {:.9g} {:.9g} {} \"{}\"\n", f.T_K, f.T_K / Tg_for_axis_K, phi, seq,
                            analysis::to_string(f.kind), f.label);
  }
  write_text(dir / "features.dat", features, outcome);
  std::string step = "# T_K  seq_J_per_mol_K of the fitted glass-transition step model\n";
  if (const auto& g = series.glass_transition; g.Tg_K) {
    for (double T = g.window_lo_K; T <= g.window_hi_K; T += 0.5) step += fmt::format("{:.2f} {:.9g}\n", T, analysis::evaluate_glass_transition(g, T));
  }
  write_text(dir / "glass_transition_fit.dat", step, outcome);
}

/// gnuplot lines marking Tg (fit) and the crystallization onset at x positions divided by `x_scale`.
std::string transition_marks(const analysis::SeqSeriesAnalysis& series, double x_scale) {
  std::string marks;
  if (const auto& g = series.glass_transition; g.Tg_K) {
    marks += fmt::format("  set arrow 2 from {0}, graph 0 to {0}, graph 1 nohead lw 1.5 lc rgb \"#2ca02c\"\n"
                         "  set label 2 \"T_g = {1:.1f} K (1σ {2:.0f}–{3:.0f} K)\" at {0}, graph 0.06 right offset -0.5,0 "
                         "tc rgb \"#2ca02c\"\n",
                         *g.Tg_K / x_scale, *g.Tg_K, g.Tg_interval_lo_K, g.Tg_interval_hi_K);
  }
  if (const auto& c = series.crystallization) {
    marks += fmt::format("  set arrow 3 from {0}, graph 0 to {0}, graph 1 nohead dt 2 lc rgb \"#9467bd\"\n"
                         "  set label 3 \"crystallization\\nonset {1:.1f} K\" at {0}, graph 0.5 left offset 0.5,0 "
                         "tc rgb \"#9467bd\"\n",
                         c->onset_K / x_scale, c->onset_K);
  }
  return marks;
}

/// The upper x limit of the zoomed panel: the end of the glass and liquid (below crystallization).
double glass_liquid_end_K(const analysis::SeqSeriesAnalysis& series) {
  return series.crystallization ? series.crystallization->liquid_end_K : series.heat_flow.T_K.back();
}

}  // namespace

PlotOutcome write_series_plots(const std::string& directory, const analysis::SeqSeriesAnalysis& series,
                               double Tg_for_axis_K) {
  PlotOutcome outcome;
  const fs::path dir(directory);
  fs::create_directories(dir);
  const analysis::HeatFlow& hf = series.heat_flow;
  const bool per_gram = !hf.delta_phi_W_per_g.empty();
  write_series_data(dir, series, Tg_for_axis_K, outcome);
  const double T_lo = hf.T_K.front(), T_zoom_hi = glass_liquid_end_K(series);

  // Two panels each: the whole heating (crystallization dominates the scale) and the glass and
  // liquid below crystallization, where the slope changes of the paper's Fig. 3 are.
  finish_plot(dir, "seq_T.gp", "seq_T", fmt::format(R"GP(  set multiplot layout 2,1 title "Equivalent configurational entropy (Eq. 2)"
  set xlabel "T_{{mid}} (K)"
  set ylabel "S_{{eq}} (J mol^{{-1}} K^{{-1}})"
  set grid
{0}  set key bottom left
  set xrange [*:*]
  set yrange [*:*]
  plot "seq_series.dat" using 1:2 with points pt 7 ps 0.5 lc rgb "#888888" title "frames", \
       "" using 1:3 with lines lw 2 lc rgb "#1f77b4" title "Whittaker, GCV λ per part", \
       "" using 1:4 with lines dt 2 lc rgb "#d62728" title "Savitzky–Golay baseline"
  set key top left
  set xrange [{1:.3f}:{2:.3f}]
  set title "glass and supercooled liquid (below crystallization)"
  plot "seq_series.dat" using 1:2 with points pt 7 ps 0.5 lc rgb "#888888" title "frames", \
       "" using 1:3 with lines lw 2 lc rgb "#1f77b4" title "Whittaker, GCV λ", \
       "glass_transition_fit.dat" using 1:2 with lines lw 2 dt 4 lc rgb "#2ca02c" title "T_g step fit", \
       "features.dat" using 1:4 with points pt 6 ps 1.2 lc rgb "#000000" title "features", \
       "" using 1:4:6 with labels offset 0,1 font ",9" notitle
  unset title
  unset multiplot
)GP", transition_marks(series, 1.0), T_lo, T_zoom_hi), outcome, 1000);

  const int phi = per_gram ? 7 : 6;
  const double scale_sg = per_gram ? 1.0 / *hf.molar_mass_g_per_mol : 1.0;
  finish_plot(dir, "heat_flow.gp", "heat_flow", fmt::format(R"GP(  set multiplot layout 2,1 title "Equivalent configurational heat flow (Eq. 3), β_h = {0:.4g} K/min"
  set xlabel "T / T_g  (T_g = {1:.1f} K)"
  set ylabel "Δφ_{{eq}} ({2})"
  set grid
  set style fill transparent solid 0.25 noborder
{3}  set key bottom left
  set xrange [*:*]
  set yrange [*:*]
  plot "seq_series.dat" using 8:{4} with lines lw 2 lc rgb "#1f77b4" title "from Whittaker derivative", \
       "" using 8:($9*{5:.9g}) with lines dt 2 lc rgb "#d62728" title "from Savitzky–Golay"
  set key top left
  set xrange [{6:.5f}:{7:.5f}]
  set title "glass and supercooled liquid (below crystallization)"
  plot "seq_series.dat" using 8:(${4}-2*$10):(${4}+2*$10) with filledcurves lc rgb "#1f77b4" title "±2σ (noise)", \
       "" using 8:{4} with lines lw 2 lc rgb "#1f77b4" title "from Whittaker derivative", \
       "features.dat" using 2:3 with points pt 6 ps 1.2 lc rgb "#000000" title "features", \
       "" using 2:3:6 with labels offset 0,1 font ",9" notitle
  unset title
  unset multiplot
)GP", hf.heating_rate_K_per_s * 60, Tg_for_axis_K, per_gram ? "W g^{-1}" : "W mol^{-1}",
      transition_marks(series, Tg_for_axis_K), phi, scale_sg, T_lo / Tg_for_axis_K, T_zoom_hi / Tg_for_axis_K), outcome, 1000);
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
    int previous_part = -3;
    for (std::size_t i = 0; i < group.T_K.size(); ++i) {
      // the joint model, or where it failed each peak fitted alone on its span (NaN between spans;
      // a blank line between spans so that gnuplot does not join two peaks' curves)
      const analysis::FittedModelValue v = analysis::fitted_model_at(fit, group.T_K[i]);
      if (previous_part >= 0 && v.part >= 0 && v.part != previous_part) data += "\n";
      previous_part = v.part;
      data += fmt::format("{:.4f} {:.9g} {:.9g} {:.9g}\n", group.T_K[i], group.value[i], v.model, v.background);
    }
    data += "\n\n";
    titles += (titles.empty() ? "" : " ") + frequency_key(group.frequency_Hz);
  }
  write_text(dir / "dma_fits.dat", data, outcome);
  finish_plot(dir, "dma_fits.gp", "dma_fits", fmt::format(R"GP(  set title "DMA loss peaks: Cole–Cole peaks on a polynomial background\n(lines: the joint fit, or where it failed each peak fitted alone between its valleys)"
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

namespace {

/// "run 3 (hpt_ln2_stored_ln2)": the sample's state, else its name, from the run's sample JSON.
std::string run_label(const ComparedRun& run) {
  const json sample = json::parse(run.sample_json, nullptr, false);
  for (const char* key : {"state", "name"}) {
    if (sample.is_object() && sample.contains(key) && sample[key].is_string()) {
      return fmt::format("run {} ({})", run.id, sample[key].get<std::string>());
    }
  }
  return fmt::format("run {}", run.id);
}

}  // namespace

json comparison_json(const ComparedRuns& compared) {
  json runs = json::array();
  for (const auto& run : compared.runs) {
    const auto& a = run.alignment;
    runs.push_back({{"run", run.id},
                    {"label", run_label(run)},
                    {"status", analysis::to_string(a.status)},
                    {"reason", a.reason},
                    {"offset_J_per_mol_K", optional_number(a.offset)},
                    {"overlap_points", a.overlap_points},
                    {"rms_after_J_per_mol_K", a.rms_after},
                    {"Tg_K", optional_number(run.series->glass_transition.Tg_K)},
                    {"crystallization_onset_K", optional_number(run.series->features.crystallization_onset_K)}});
  }
  return {{"reference_run", compared.reference_run},
          {"liquid_window_K", {compared.window.from_K, compared.window.to_K}},
          {"method", "constant offset minimising the squared difference to the reference's smoothed Seq(T) in the "
                     "reference's supercooled liquid (paper Fig. 2)"},
          {"runs", runs}};
}

PlotOutcome write_comparison_plots(const std::string& directory, const ComparedRuns& compared, double Tg_for_axis_K) {
  PlotOutcome outcome;
  const fs::path dir(directory);
  fs::create_directories(dir);
  std::string data = "# blocks per run: T_K  seq_input+offset  seq_smooth+offset  T_over_Tg  delta_phi(W/g, else W/mol)\n";
  std::string titles;
  int blocks = 0;
  for (const auto& run : compared.runs) {
    if (!run.alignment.offset) continue;  // a run that cannot be aligned is listed, not drawn shifted
    const analysis::HeatFlow& hf = run.series->heat_flow;
    const double offset = *run.alignment.offset;
    data += fmt::format("# {} offset {:+.6f} J/(mol K)\n", run_label(run), offset);
    const std::size_t first_part = run.series->segments.front().x.size();
    for (std::size_t i = 0; i < hf.T_K.size(); ++i) {
      if (i == first_part) data += "\n";  // separately smoothed parts are not joined by a line
      const double phi = hf.delta_phi_W_per_g.empty() ? hf.delta_phi_W_per_mol[i] : hf.delta_phi_W_per_g[i];
      data += fmt::format("{:.6f} {:.9g} {:.9g} {:.6f} {:.9g}\n", hf.T_K[i], run.series->whittaker.y_input[i] + offset,
                          hf.seq_smooth_J_per_mol_K[i] + offset, hf.T_K[i] / Tg_for_axis_K, phi);
    }
    data += "\n\n";
    titles += (titles.empty() ? "\"" : ", \"") + fmt::format("{} {:+.3f}", run_label(run), offset) + "\"";
    ++blocks;
  }
  write_text(dir / "compare.dat", data, outcome);
  if (blocks == 0) return outcome;
  const bool per_gram = !compared.runs.front().series->heat_flow.delta_phi_W_per_g.empty();
  finish_plot(dir, "seq_T_aligned.gp", "seq_T_aligned", fmt::format(R"GP(  set title "S_{{eq}}(T) shifted to overlap in the supercooled liquid (paper Fig. 2)"
  set xlabel "T_{{mid}} (K)"
  set ylabel "S_{{eq}} + offset (J mol^{{-1}} K^{{-1}})"
  set grid
  set key bottom right noenhanced
  set object 1 rect from {0:.2f}, graph 0 to {1:.2f}, graph 1 fillcolor rgb "#dddddd" fillstyle solid 0.5 noborder behind
  set label 1 "liquid window" at {0:.2f}, graph 0.97 offset 0.5,0
  n = {2}
  array labels[n] = [{3}]
  plot for [i=0:n-1] "compare.dat" index i using 1:2 with points pt 7 ps 0.3 lc i+1 notitle, \
       for [i=0:n-1] "compare.dat" index i using 1:3 with lines lw 2 lc i+1 title labels[i+1]
)GP", compared.window.from_K, compared.window.to_K, blocks, titles), outcome);
  finish_plot(dir, "heat_flow_compare.gp", "heat_flow_compare", fmt::format(R"GP(  set title "Equivalent configurational heat flow (Eq. 3) of the compared runs, glass and liquid"
  set xlabel "T / T_g  (T_g = {:.1f} K)"
  set ylabel "Δφ_{{eq}} ({})"
  set grid
  set key top left noenhanced
  set xrange [*:{:.5f}]
  n = {}
  array labels[n] = [{}]
  plot for [i=0:n-1] "compare.dat" index i using 4:5 with lines lw 2 lc i+1 title labels[i+1]
)GP", Tg_for_axis_K, per_gram ? "W g^{-1}" : "W mol^{-1}", compared.window.to_K / Tg_for_axis_K, blocks, titles), outcome);
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
