#include "sim/detector/detector.hpp"

#include <cstdio>

#include <fmt/format.h>

#include "core/error.hpp"

namespace glasslab::sim::detector {

SimDetector::SimDetector(const Clock& clock, DetectorConfig config, StageTruth& truth)
    : clock_(clock),
      config_(std::move(config)),
      truth_(truth),
      model_(config_.sample_state),
      r_(r_grid(config_.r_max_A, config_.dr_A)),
      origin_mono_ns_(clock.mono_ns()) {
  std::error_code ec;
  std::filesystem::create_directories(config_.out_dir, ec);
  if (ec) throw UsageError(fmt::format("detector output folder '{}': {}", config_.out_dir.string(), ec.message()));
}

void SimDetector::arm() {
  std::lock_guard lock(mutex_);
  exposing_ = false;
}

bool SimDetector::on_trigger(std::int64_t t_mono_ns, std::int64_t width_ns) {
  std::lock_guard lock(mutex_);
  if (static_cast<double>(width_ns) * 1e-9 < config_.min_pulse_width_s) {
    ++ignored_short_;
    return false;
  }
  if (!exposing_) {
    ++discarded_;  // integrated since arming: undefined exposure, thrown away
  } else {
    written_.push_back(write_frame(exposure_start_ns_, t_mono_ns));
  }
  exposing_ = true;
  exposure_start_ns_ = t_mono_ns;
  return true;
}

WrittenFrame SimDetector::write_frame(std::int64_t start_ns, std::int64_t end_ns) {
  WrittenFrame frame;
  frame.index = next_index_++;
  frame.start_mono_ns = start_ns;
  frame.end_mono_ns = end_ns;
  const std::int64_t mid_ns = start_ns + (end_ns - start_ns) / 2;
  // The structure follows the sample's history: advance through the exposure's temperatures.
  const auto T_start = truth_.true_T_K_at(start_ns, experiment_s(start_ns));
  const auto T_mid = truth_.true_T_K_at(mid_ns, experiment_s(mid_ns));
  const auto T_end = truth_.true_T_K_at(end_ns, experiment_s(end_ns));
  frame.truth_extrapolated = !T_mid.has_value();
  frame.true_T_mid_K = T_mid.value_or(last_known_T_K_);
  for (const auto& T : {T_start, T_mid, T_end})
    if (T) {
      model_.advance_to(*T);
      last_known_T_K_ = *T;
    }
  const double exposure_s = static_cast<double>(end_ns - start_ns) * 1e-9;
  const auto G = model_.observed_G(r_, frame.true_T_mid_K, exposure_s, config_.seed * 1'000'003ULL + static_cast<std::uint64_t>(frame.index));
  frame.seq_truth_kB = model_.seq_kB(frame.true_T_mid_K, 10.0);

  const auto name = fmt::format("{}{:05d}.gr", config_.file_prefix, frame.index);
  frame.path = config_.out_dir / name;
  const std::vector<std::pair<std::string, std::string>> header = {
      {"frame_index", std::to_string(frame.index)},
      {"exposure_start_experiment_s", fmt::format("{:.6f}", experiment_s(start_ns))},
      {"exposure_end_experiment_s", fmt::format("{:.6f}", experiment_s(end_ns))},
      {"exposure_s", fmt::format("{:.6f}", exposure_s)},
      {"exposure_start_mono_ns", std::to_string(start_ns)},
      {"exposure_end_mono_ns", std::to_string(end_ns)},
      {"exposure_start_utc", format_utc(clock_.utc_ns_at(start_ns))},
      {"exposure_end_utc", format_utc(clock_.utc_ns_at(end_ns))},
      {"true_T_mid_K", fmt::format("{:.4f}", frame.true_T_mid_K)},
      {"true_T_source", frame.truth_extrapolated ? "last_known (truth not yet available)" : truth_.description()},
      {"sample_state", to_string(config_.sample_state)},
      {"highest_T_K", fmt::format("{:.4f}", model_.highest_T_K())},
      {"crystalline_fraction", fmt::format("{:.6f}", model_.crystalline_fraction())},
      {"excess_disorder", fmt::format("{:.6f}", model_.excess_disorder())},
      {"hpt_shoulder_amplitude", fmt::format("{:.6f}", model_.shoulder_amplitude())},
      {"rho0_per_A3", fmt::format("{}", model_.parameters().rho0_per_A3)},
      {"qmax_per_A", fmt::format("{}", model_.parameters().qmax_per_A)},
      {"seq_truth_kB_rmax10", fmt::format("{:.6f}", frame.seq_truth_kB)},
  };
  write_gr_file(frame.path, header, r_, G);
  return frame;
}

std::vector<WrittenFrame> SimDetector::written() const {
  std::lock_guard lock(mutex_);
  return written_;
}
int SimDetector::discarded_readouts() const {
  std::lock_guard lock(mutex_);
  return discarded_;
}
int SimDetector::ignored_short_pulses() const {
  std::lock_guard lock(mutex_);
  return ignored_short_;
}

void write_gr_file(const std::filesystem::path& path, const std::vector<std::pair<std::string, std::string>>& header,
                   const std::vector<double>& r_A, const std::vector<double>& G) {
  // PDFgetX3 writes a [DEFAULT] configuration block, then "#### start data", "#S 1", "#L r G".
  std::string text = "[DEFAULT]\n\nversion = glasslab-sim-detector\n\n# glasslab simulated XRD1621 frame, reduced to G(r)\n";
  for (const auto& [key, value] : header) text += fmt::format("{} = {}\n", key, value);
  text += "\n#### start data\n#S 1\n#L r G\n";
  for (std::size_t i = 0; i < r_A.size(); ++i) text += fmt::format("{:.2f} {:.6f}\n", r_A[i], G[i]);
  // Atomic appearance: a watcher never sees a half-written frame under the final name.
  const auto tmp = path.parent_path() / ("." + path.filename().string() + ".tmp");
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) throw DeviceError(fmt::format("detector: cannot write '{}'", tmp.string()));
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  if (std::fclose(f) != 0 || !ok) throw DeviceError(fmt::format("detector: short write to '{}'", tmp.string()));
  std::filesystem::rename(tmp, path);
}

}  // namespace glasslab::sim::detector
