// `glasslab check FILE`: the plan on good input, every error with file, line and key on bad input,
// and a non-zero exit status.
#include <array>
#include <cstdio>
#include <string>
#include <sys/wait.h>

#include <doctest/doctest.h>

#include "fixture_helpers.hpp"

using namespace glasslab::schedules::testing;

namespace {

struct Result {
  int status = -1;
  std::string output;  // stdout and stderr
};

Result run_glasslab(const std::string& arguments) {
  const std::string command = std::string(GLASSLAB_BINARY) + " " + arguments + " 2>&1";
  Result result;
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::array<char, 4096> buffer{};
  while (std::size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe)) result.output.append(buffer.data(), n);
  const int raw = pclose(pipe);
  result.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return result;
}

const std::string kPaper = std::string(GLASSLAB_SOURCE_DIR) + "/schedules/paper/";

}  // namespace

TEST_CASE("glasslab check prints the plan of the paper's heating profile") {
  const Result r = run_glasslab("check " + kPaper + "heating_profile.toml");
  CAPTURE(r.output);
  CHECK(r.status == 0);
  CHECK(r.output.find("OK") != std::string::npos);
  CHECK(r.output.find("ramp 93.15 K → 873.15 K at 10 K/min") != std::string::npos);
  CHECK(r.output.find("total: ") != std::string::npos);
}

TEST_CASE("glasslab check lists every error with file, line and key, and fails") {
  const std::string path = fixture_path("many_errors.toml");
  const std::string text = read_text(path);
  const Result r = run_glasslab("check " + path);
  CAPTURE(r.output);
  CHECK(r.status != 0);
  CHECK(r.output.find("5 errors") != std::string::npos);
  CHECK_FALSE(line_for(r.output, path, line_of(text, "temperature_C"), "step[1].temperature_C").empty());
  CHECK_FALSE(line_for(r.output, path, line_of(text, "to_K = 1000"), "step[2].to_K").empty());
  CHECK_FALSE(line_for(r.output, path, line_of(text, "duration_s = -1"), "step[3].duration_s").empty());
  CHECK(r.output.find("total: ") == std::string::npos);  // no plan for a bad schedule
}

TEST_CASE("glasslab check --sample and --sample-state override the sample") {
  const Result with_file = run_glasslab("check " + kPaper + "xrd_insitu_heating.toml --sample " + kPaper +
                                        "samples/hpt_ln2_stored_ln2.toml");
  CAPTURE(with_file.output);
  CHECK(with_file.status == 0);
  CHECK(with_file.output.find("(hpt_ln2_stored_ln2)") != std::string::npos);
  const Result bad_state = run_glasslab("check " + kPaper + "heating_profile.toml --sample-state frozen");
  CHECK(bad_state.status != 0);
  CHECK(bad_state.output.find("unknown state \"frozen\"") != std::string::npos);
}
