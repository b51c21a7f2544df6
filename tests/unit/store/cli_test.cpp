// `glasslab runs` and `glasslab export` on a store written by RunStore (the built executable).
#include <doctest/doctest.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include <sys/wait.h>

#include "acquisition/store/run_store.hpp"
#include "store_test_support.hpp"

using namespace glasslab::acquisition;

namespace {

struct Output {
  int exit_code = -1;
  std::string text;  // stdout and stderr
};

Output run_glasslab(const std::string& arguments) {
  const std::string command = std::string(GLASSLAB_BINARY) + " " + arguments + " 2>&1";
  Output output;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return output;
  std::array<char, 4096> buffer{};
  while (const auto n = std::fread(buffer.data(), 1, buffer.size(), pipe)) output.text.append(buffer.data(), n);
  const int status = ::pclose(pipe);
  output.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return output;
}

std::size_t count_lines(const std::string& text) {
  std::size_t lines = 0;
  for (const char c : text) lines += c == '\n';
  return lines;
}

}  // namespace

TEST_CASE("glasslab runs lists runs, export writes CSV to stdout and to --out, unknown runs are named") {
  test::TempDir dir;
  const auto db = dir.file("lab.sqlite");
  RunId run = 0;
  {
    RunStore store(db);
    run = store.begin_run(test::run_start());
    for (int i = 0; i < 25; ++i) store.record(test::stage_reading(i));
    store.end_run(run, RunStop{ExitStatus::success, "", test::kMonoOrigin_ns + 5'712'000'000'000, 0});
  }

  const auto runs = run_glasslab("runs --db " + db);
  CHECK(runs.exit_code == 0);
  CHECK(runs.text.find("success") != std::string::npos);
  CHECK(runs.text.find("Cu46Zr46Al8 as-cast") != std::string::npos);  // the sample's name, not its JSON
  CHECK(runs.text.find("heating_profile.toml") != std::string::npos);
  CHECK(runs.text.find("1:35:12") != std::string::npos);  // 5712 s of experiment time
  CHECK(runs.text.find(" 25") != std::string::npos);

  const auto csv = run_glasslab("export " + std::to_string(run) + " --stream stage --format csv --db " + db);
  CHECK(csv.exit_code == 0);
  CHECK(csv.text.rfind("t_utc,t_mono_s,T_K,setpoint_K,rate_K_per_min,status,error_bits,pump_speed,step_index\n", 0) ==
        0);
  CHECK(count_lines(csv.text) == 26);

  const auto out_file = dir.file("frames.csv");
  const auto to_file =
      run_glasslab("export " + std::to_string(run) + " --stream frames --db " + db + " --out " + out_file);
  CHECK(to_file.exit_code == 0);
  std::ifstream in(out_file);
  std::string header;
  std::getline(in, header);
  CHECK(header == "index,t_trigger_mono_s,t_start_utc,t_end_utc,start_source,T_start_K,T_mid_K,T_end_K,file,status,reason");

  const auto unknown = run_glasslab("export 999 --stream dma --db " + db);
  CHECK(unknown.exit_code != 0);
  CHECK(unknown.text.find("999") != std::string::npos);
  CHECK(unknown.text.find(db) != std::string::npos);

  const auto missing = run_glasslab("runs --db " + dir.file("missing.sqlite"));
  CHECK(missing.exit_code != 0);
  CHECK(missing.text.find("missing.sqlite") != std::string::npos);
}
