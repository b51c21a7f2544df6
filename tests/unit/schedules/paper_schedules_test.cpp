// Every shipped schedule (schedules/paper, schedules/examples) and sample file reads and validates
// without errors, and the paper's numbers are the ones in the files.
#include <algorithm>
#include <filesystem>
#include <set>

#include <doctest/doctest.h>

#include "fixture_helpers.hpp"
#include "schedules/schedule.hpp"
#include "schedules/validate.hpp"

using namespace glasslab::schedules;
namespace fs = std::filesystem;

namespace {

const fs::path kRoot = fs::path(GLASSLAB_SOURCE_DIR) / "schedules";

std::vector<fs::path> toml_files_under(const fs::path& folder) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(folder))
    if (entry.is_regular_file() && entry.path().extension() == ".toml") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

bool is_sample_file(const fs::path& path) { return path.parent_path().filename() == "samples"; }

}  // namespace

TEST_CASE("every shipped schedule parses and validates without errors") {
  std::vector<fs::path> files = toml_files_under(kRoot / "paper");
  const auto examples = toml_files_under(kRoot / "examples");
  files.insert(files.end(), examples.begin(), examples.end());
  int schedules_checked = 0;
  for (const auto& path : files) {
    if (is_sample_file(path)) continue;
    CAPTURE(path.string());
    Schedule s;
    try {
      s = load_schedule_file(path.string());
    } catch (const glasslab::ScheduleError& e) {
      FAIL_CHECK(e.what());
      continue;
    }
    CHECK_FALSE(has_errors(validate(s)));
    CHECK_FALSE(s.steps.empty());
    ++schedules_checked;
  }
  CHECK(schedules_checked >= 6);  // 4 paper schedules + examples
}

TEST_CASE("the paper schedules carry no warnings either") {
  for (const char* name : {"heating_profile.toml", "xrd_insitu_heating.toml", "dma_gamma.toml", "dma_overnight.toml"}) {
    CAPTURE(name);
    const Schedule s = load_schedule_file((kRoot / "paper" / name).string());
    CHECK(format_diagnostics(validate(s)) == "");
  }
}

TEST_CASE("the four Table 2 sample files load and apply to the in-situ schedule") {
  std::set<std::string> states;
  for (const auto& path : toml_files_under(kRoot / "paper" / "samples")) {
    CAPTURE(path.string());
    const Sample sample = load_sample_file(path.string());
    CHECK(path.stem().string() == sample.state);  // file named after its state
    Schedule s = load_schedule_file((kRoot / "paper" / "xrd_insitu_heating.toml").string());
    apply_sample(s, sample);
    CHECK(s.sample.state == sample.state);
    CHECK_FALSE(has_errors(validate(s)));
    states.insert(sample.state);
  }
  CHECK(states == std::set<std::string>(std::begin(kSampleStates), std::end(kSampleStates)));
}

TEST_CASE("sample state override accepts Table 2 states only") {
  Schedule s = load_schedule_file((kRoot / "paper" / "heating_profile.toml").string());
  override_sample_state(s, "hpt_rt_stored_ln2");
  CHECK(s.sample.state == "hpt_rt_stored_ln2");
  CHECK_THROWS_WITH_AS(override_sample_state(s, "frozen"), doctest::Contains("hpt_ln2_stored_ln2"),
                       glasslab::ScheduleError);
  CHECK_THROWS_AS(parse_sample("[sample]\nname = \"x\"\nstate = \"frozen\"\n", "s.toml"), glasslab::ScheduleError);
}

TEST_CASE("paper numbers: heating profile and in-situ protocol") {
  const Schedule heating = load_schedule_file((kRoot / "paper" / "heating_profile.toml").string());
  REQUIRE(heating.steps.size() == 3);
  CHECK(std::get<HoldStep>(heating.steps[0].body).temperature_K == doctest::Approx(93.15));
  CHECK(heating.steps[0].checkpoint);
  CHECK(std::get<RampStep>(heating.steps[1].body).to_K == doctest::Approx(873.15));
  CHECK(std::get<RampStep>(heating.steps[1].body).rate_K_per_min == doctest::Approx(10));
  CHECK(std::get<RampStep>(heating.steps[2].body).to_K == doctest::Approx(303.15));
  CHECK(std::get<RampStep>(heating.steps[2].body).rate_K_per_min == doctest::Approx(50));
  CHECK(heating.instruments.stage->connection == "serial:/dev/ttyUSB0?baud=19200&flow=rtscts");

  const Schedule xrd = load_schedule_file((kRoot / "paper" / "xrd_insitu_heating.toml").string());
  CHECK(xrd.instruments.trigger->connection == "usb:0403:6014");
  REQUIRE(xrd.steps[1].xrd);
  CHECK(xrd.steps[1].xrd->period_s == doctest::Approx(12));
  CHECK(xrd.steps[1].xrd->exposure_s == doctest::Approx(12));
  CHECK(xrd.steps.back().xrd->frame_count == 1);
}

TEST_CASE("paper numbers: the γ study and the overnight queue") {
  const Schedule gamma = load_schedule_file((kRoot / "paper" / "dma_gamma.toml").string());
  const auto& sweep = std::get<DmaRampStep>(gamma.steps.at(0).body);
  CHECK(sweep.from_K == doctest::Approx(123.15));
  CHECK(sweep.rate_K_per_min == doctest::Approx(5));
  CHECK(sweep.frequencies_Hz == std::vector<double>{0.05, 0.5, 3, 7, 15});
  CHECK(sweep.mode == DmaMode::bending);

  const Schedule night = load_schedule_file((kRoot / "paper" / "dma_overnight.toml").string());
  bool torsion_to_60 = false, bending_as_cast = false, bending_hpt = false;
  for (const auto& step : night.steps) {
    const auto& r = std::get<DmaRampStep>(step.body);
    const double f_max = *std::max_element(r.frequencies_Hz.begin(), r.frequencies_Hz.end());
    if (r.mode == DmaMode::torsion && f_max == 60) torsion_to_60 = true;
    if (r.mode == DmaMode::bending && r.sample_state == "as_cast" && f_max == 15) bending_as_cast = true;
    if (r.mode == DmaMode::bending && r.sample_state.rfind("hpt", 0) == 0 && f_max == 15) bending_hpt = true;
  }
  CHECK(torsion_to_60);
  CHECK(bending_as_cast);
  CHECK(bending_hpt);
  // The β-suppression pair: heat to just above β (below Tg = 709 K), cool, reheat, same bar.
  const auto& heat = std::get<DmaRampStep>(night.steps.at(3).body);
  const auto& cool = std::get<DmaRampStep>(night.steps.at(4).body);
  const auto& reheat = std::get<DmaRampStep>(night.steps.at(5).body);
  CHECK(heat.to_K < 709);
  CHECK(cool.to_K < cool.from_K);
  CHECK(reheat.to_K == doctest::Approx(heat.to_K));
  CHECK(heat.sample_label == cool.sample_label);
  CHECK(cool.sample_label == reheat.sample_label);
}
