#pragma once
// Curves the dashboard derives from stored results, as JSON for its charts: the heat flow of the
// heating ramp's Seq(T) (paper Eq. 3, analysis::analyze_seq_series) and the Arrhenius plot of the
// DMA loss peaks (analysis/arrhenius.hpp: ln f = -ln(2 pi tau0) - (E/k)(1/Tp)).
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace glasslab::dashboard {

struct SeqFrame {
  int frame = 0;
  int step_index = -1;
  double T_mid_K = 0;
  double t_mid_s = 0;  ///< experiment seconds since the run's start, mid-exposure
  double seq_kB_per_atom = 0;
  double seq_J_per_mol_K = 0;
};

/// {"frames": [[frame, T_mid_K, seq_kB_per_atom], ...], "heat_flow": {"T_K", "value", "unit",
/// "heating_rate_K_per_min", "step_index"} or null, "heat_flow_reason"}. The heat flow uses the
/// frames of the step with the most frames whose temperature rises (the heating ramp) and that
/// step's mean heating rate; W/g with a molar mass, else W/mol.
nlohmann::json seq_with_heat_flow(const std::vector<SeqFrame>& frames, std::optional<double> molar_mass_g_per_mol);

/// {"relaxations": [{"name", "sweep", "energy_eV", "energy_stderr_eV", "points": [[1000/Tp, ln f]],
/// "line": [[x, y], [x, y]]}]} from the stored fit results (JSON of kind dma_fit / dma_fits),
/// each relaxation once per sweep: the joint fit when it gave an energy, else the windowed one.
nlohmann::json arrhenius_from_fits(const std::vector<nlohmann::json>& fit_results);

}  // namespace glasslab::dashboard
