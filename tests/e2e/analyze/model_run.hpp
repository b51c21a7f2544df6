#pragma once
// A run of the structural model's frames written straight into a real run store (the same
// observed_G and .gr writer the simulated detector uses, with its Fourier truncation and counting
// noise), for the store-mode tests of `glasslab analyze RUN`.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "acquisition/store/run_store.hpp"
#include "sim/detector/detector.hpp"
#include "sim/detector/glass_model.hpp"
#include "sim/detector/stage_truth.hpp"

namespace glasslab::test {

struct ModelRunSpec {
  sim::detector::SampleState state = sim::detector::SampleState::as_cast;
  double T_from_K = 400, T_to_K = 790, rate_K_per_min = 10, exposure_s = 12;
  int broken_frame = -1;      ///< this frame's file is never written (recorded with the reason)
  double G_scale = 1.0;       ///< a normalisation error of the reduction: G(r) written x this
  std::uint64_t seed_base = 1000;
};

struct ModelRun {
  std::int64_t id = 0;
  std::vector<double> T_mid_K, truth_J_per_mol_K;  ///< the frames with a file, and the model's Seq
};

inline ModelRun record_model_run(const std::string& db, const std::filesystem::path& frames_dir, const ModelRunSpec& spec) {
  namespace det = sim::detector;
  ModelRun out;
  acquisition::RunStore store(db);
  acquisition::RunStart start;
  start.sample_json = fmt::format(R"({{"name":"model frames","state":"{}","composition":"Cu44Zr44Al8Hf2Co2","molar_mass_g_per_mol":75.006}})",
                                  det::to_string(spec.state));
  start.start_utc_ns = 1'700'000'000'000'000'000;
  out.id = store.begin_run(start);
  auto truth = det::make_stage_truth(fmt::format("ramp:{}:{}:{}", spec.T_from_K, spec.rate_K_per_min, spec.T_to_K));
  det::GlassStructureModel model(spec.state);
  const std::vector<double> r = det::r_grid();
  const int n_frames = static_cast<int>((spec.T_to_K - spec.T_from_K) / (spec.rate_K_per_min / 60.0 * spec.exposure_s));
  std::filesystem::create_directories(frames_dir);
  for (int i = 0; i < n_frames; ++i) {
    const double t0_s = i * spec.exposure_s, t1_s = t0_s + spec.exposure_s;
    const double T_mid = *truth->true_T_K(0.5 * (t0_s + t1_s));
    model.advance_to(*truth->true_T_K(t1_s));
    acquisition::FrameRecord f;
    f.index = i;
    f.t_start_mono_ns = static_cast<std::int64_t>(t0_s * 1e9);
    f.t_end_mono_ns = static_cast<std::int64_t>(t1_s * 1e9);
    f.T_start_K = *truth->true_T_K(t0_s);
    f.T_mid_K = T_mid;
    f.T_end_K = *truth->true_T_K(t1_s);
    f.status = "ok";
    f.start_source = "readback";
    f.file = (frames_dir / fmt::format("frame_{:05d}.gr", i)).string();
    if (i == spec.broken_frame) {
      f.file = (frames_dir / "never_written.gr").string();
    } else {
      std::vector<double> G = model.observed_G(r, T_mid, spec.exposure_s, spec.seed_base + static_cast<std::uint64_t>(i));
      for (double& v : G) v *= spec.G_scale;
      det::write_gr_file(f.file, {{"rpoly", "0.9"}}, r, G);
      out.T_mid_K.push_back(T_mid);
      out.truth_J_per_mol_K.push_back(model.seq_kB(T_mid) * 8.314462618);
    }
    store.record(f);
  }
  acquisition::RunStop stop;
  stop.stop_utc_ns = start.start_utc_ns + static_cast<std::int64_t>(n_frames * spec.exposure_s * 1e9);
  store.end_run(out.id, stop);
  return out;
}

}  // namespace glasslab::test
