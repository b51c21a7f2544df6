// The simulated detector's view of the true stage temperature: the T95 simulator's CSV truth log,
// keyed on the shared clock when it has clock_mono_ns (docs/detector-model.md, "Stage truth").
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include "sim/detector/stage_truth.hpp"

using glasslab::sim::detector::make_stage_truth;

namespace {
std::string write_temp(const std::string& name, const std::string& text) {
  const auto path = (std::filesystem::temp_directory_path() / (name + std::to_string(::getpid()))).string();
  std::ofstream(path) << text;
  return path;
}
}  // namespace

TEST_CASE("a truth log with clock_mono_ns is looked up on the shared clock, not on the detector's own start") {
  // t_s counts from the T95 simulator's start; clock_mono_ns = its origin (5 s) + t_s.
  const auto path = write_temp("truth_mono_", "t_s,T_K,setpoint_K,state,clock_mono_ns\n"
                                              "0.000,300.0000,nan,stopped,5000000000\n"
                                              "1.000,301.0000,310.0000,heating,6000000000\n"
                                              "2.000,303.0000,310.0000,heating,7000000000\n");
  auto truth = make_stage_truth(path);
  // Shared clock 6.5 s: halfway between the 2nd and 3rd lines, whatever the detector's own t_s.
  REQUIRE(truth->true_T_K_at(6'500'000'000, 0.25).has_value());
  CHECK(*truth->true_T_K_at(6'500'000'000, 0.25) == doctest::Approx(302.0));
  CHECK(*truth->true_T_K_at(5'000'000'000, 99.0) == doctest::Approx(300.0));
  CHECK_FALSE(truth->true_T_K_at(8'000'000'000, 1.0).has_value());  // not logged yet
  // It grows: a new line makes a later instant known.
  std::ofstream(path, std::ios::app) << "3.000,304.0000,310.0000,heating,8000000000\n";
  REQUIRE(truth->true_T_K_at(7'500'000'000, 1.0).has_value());
  CHECK(*truth->true_T_K_at(7'500'000'000, 1.0) == doctest::Approx(303.5));
  std::filesystem::remove(path);
}

TEST_CASE("an older whitespace truth log without clock_mono_ns is keyed on experiment seconds plus the offset") {
  const auto path = write_temp("truth_plain_", "# t_s T_K setpoint_K\n0 300 310\n10 310 310\n");
  auto truth = make_stage_truth(path, 2.0);
  REQUIRE(truth->true_T_K_at(123'000'000'000, 3.0).has_value());
  CHECK(*truth->true_T_K_at(123'000'000'000, 3.0) == doctest::Approx(305.0));
  CHECK(*truth->true_T_K(3.0) == doctest::Approx(305.0));
  std::filesystem::remove(path);
}
