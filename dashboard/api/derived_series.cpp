#include "dashboard/api/derived_series.hpp"

#include <cmath>
#include <map>
#include <numbers>

#include "analysis/heat_flow.hpp"
#include "analysis/run_analysis.hpp"

namespace glasslab::dashboard {

namespace {

/// The step whose frames rise in temperature, with the most frames; -1 when none.
int heating_step(const std::vector<SeqFrame>& frames) {
  std::map<int, std::vector<const SeqFrame*>> by_step;
  for (const auto& f : frames) by_step[f.step_index].push_back(&f);
  int best = -1;
  std::size_t best_count = 2;
  for (const auto& [step, members] : by_step)
    if (members.size() > best_count && members.back()->T_mid_K > members.front()->T_mid_K)
      best = step, best_count = members.size();
  return best;
}

nlohmann::json heat_flow_json(const std::vector<SeqFrame>& frames, std::optional<double> molar_mass_g_per_mol,
                              std::string& reason) {
  const int step = heating_step(frames);
  if (step < 0) {
    reason = "no heating ramp with frames yet";
    return nullptr;
  }
  std::vector<double> T_K, seq_J;
  double t_first = 0, t_last = 0;
  for (const auto& f : frames) {
    if (f.step_index != step || !std::isfinite(f.T_mid_K) || !std::isfinite(f.seq_J_per_mol_K)) continue;
    if (T_K.empty()) t_first = f.t_mid_s;
    t_last = f.t_mid_s;
    T_K.push_back(f.T_mid_K);
    seq_J.push_back(f.seq_J_per_mol_K);
  }
  if (T_K.size() < 2 || t_last <= t_first) {
    reason = "too few frames on the heating ramp";
    return nullptr;
  }
  analysis::SeqSeriesOptions options;
  options.heating_rate_K_per_s = (T_K.back() - T_K.front()) / (t_last - t_first);
  if (molar_mass_g_per_mol) options.molar_mass_g_per_mol = molar_mass_g_per_mol;
  try {
    const analysis::SeqSeriesAnalysis series = analysis::analyze_seq_series(T_K, seq_J, options);
    const auto& hf = series.heat_flow;
    const bool per_gram = !hf.delta_phi_W_per_g.empty();
    return {{"T_K", hf.T_K},
            {"value", per_gram ? hf.delta_phi_W_per_g : hf.delta_phi_W_per_mol},
            {"unit", per_gram ? "W/g" : "W/mol"},
            {"heating_rate_K_per_min", options.heating_rate_K_per_s * 60.0},
            {"step_index", step}};
  } catch (const std::exception& e) {
    reason = e.what();  // too short for the smoother, so far
    return nullptr;
  }
}

nlohmann::json relaxation_curve(const nlohmann::json& relaxation, const std::string& sweep) {
  nlohmann::json points = nlohmann::json::array();
  double x_lo = INFINITY, x_hi = -INFINITY;
  for (const auto& p : relaxation.value("points", nlohmann::json::array())) {
    const double f = p.value("frequency_Hz", 0.0), Tp = p.value("Tp_K", 0.0);
    if (f <= 0 || Tp <= 0) continue;
    const double x = 1000.0 / Tp;
    points.push_back({x, std::log(f)});
    x_lo = std::min(x_lo, x), x_hi = std::max(x_hi, x);
  }
  nlohmann::json out{{"name", relaxation.value("name", "?")},
                     {"sweep", sweep},
                     {"status", relaxation.value("status", "?")},
                     {"energy_eV", relaxation.value("energy_eV", nlohmann::json())},
                     {"energy_stderr_eV", relaxation.value("energy_stderr_eV", nlohmann::json())},
                     {"points", points},
                     {"line", nlohmann::json::array()}};
  const nlohmann::json E = relaxation.value("energy_eV", nlohmann::json());
  const nlohmann::json ln_tau0 = relaxation.value("ln_tau0", nlohmann::json());
  if (E.is_number() && ln_tau0.is_number() && points.size() >= 2) {
    constexpr double kBoltzmann_eV_per_K = 8.617333262e-5;
    const double slope_per_kK = -E.get<double>() / kBoltzmann_eV_per_K / 1000.0;  // d ln f / d(1000/T)
    const double intercept = -std::log(2.0 * std::numbers::pi) - ln_tau0.get<double>();
    out["line"] = {{x_lo, intercept + slope_per_kK * x_lo}, {x_hi, intercept + slope_per_kK * x_hi}};
  }
  return out;
}

}  // namespace

nlohmann::json seq_with_heat_flow(const std::vector<SeqFrame>& frames, std::optional<double> molar_mass_g_per_mol) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& f : frames) rows.push_back({f.frame, f.T_mid_K, f.seq_kB_per_atom});
  std::string reason;
  nlohmann::json heat_flow = heat_flow_json(frames, molar_mass_g_per_mol, reason);
  return {{"frames", rows}, {"heat_flow", heat_flow}, {"heat_flow_reason", reason}};
}

nlohmann::json arrhenius_from_fits(const std::vector<nlohmann::json>& fit_results) {
  nlohmann::json relaxations = nlohmann::json::array();
  for (const auto& fits : fit_results) {
    const std::string sweep = fits.value("sweep", "");
    std::map<std::string, nlohmann::json> chosen;
    for (const auto& r : fits.value("relaxations", nlohmann::json::array())) chosen[r.value("name", "?")] = r;
    for (const auto& r : fits.value("relaxations_windowed", nlohmann::json::array()))
      if (r.value("status", "") == "ok") chosen[r.value("name", "?")] = r;
    for (const auto& [name, r] : chosen) relaxations.push_back(relaxation_curve(r, sweep));
  }
  return {{"relaxations", relaxations}};
}

}  // namespace glasslab::dashboard
