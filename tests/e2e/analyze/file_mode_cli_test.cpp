// `glasslab analyze` on files (issue 5, items 5 and 6): the JSON field names of --gr and
// --dma-csv, the given/fitted rho0, r_min and r_max, a file that cannot be read, and the report
// folder's plots as PNG and SVG with units on their axes.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/detector/detector.hpp"
#include "sim/detector/glass_model.hpp"
#include "tests/support/process.hpp"
#include "tests/unit/analysis/synthetic.hpp"

namespace fs = std::filesystem;
using namespace glasslab;
namespace det = glasslab::sim::detector;

namespace {

std::string slurp(const fs::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// A PDFgetX3 .gr frame of the structural model at T, and the same G(r) as plain two-column text.
void write_frames(const std::string& dir, double T_K, std::string& gr, std::string& plain) {
  det::GlassStructureModel model(det::SampleState::as_cast);
  model.advance_to(T_K);
  const auto r = det::r_grid();
  const auto G = model.observed_G(r, T_K, 12.0, 5);
  gr = dir + "/frame.gr";
  det::write_gr_file(gr, {{"rpoly", "0.9"}}, r, G);
  plain = dir + "/frame.txt";
  std::ofstream out(plain);
  out << "# r (A)  G (A^-2)\n# plain two-column text with comments\n";
  for (std::size_t i = 0; i < r.size(); ++i) out << fmt::format("{:.2f}\t{:.9g}\n", r[i], G[i]);
}

}  // namespace

TEST_CASE("analyze --gr --format json: the documented fields per file, given or fitted rho0, r_min, r_max") {
  test::TempDir dir;
  std::string gr, plain;
  write_frames(dir.path, 500.0, gr, plain);
  const auto fitted = test::run_process({GLASSLAB_BINARY, "analyze", "--gr", gr, plain, "--format", "json"},
                                        std::chrono::seconds(20));
  INFO(fitted.err);
  REQUIRE(fitted.exit_code == 0);
  const auto files = nlohmann::json::parse(fitted.out);
  REQUIRE(files.is_array());
  REQUIRE(files.size() == 2);
  for (const auto& f : files) {
    for (const char* key : {"file", "rho0_per_A3", "rho0_fitted", "r_max_A", "seq_kB_per_atom", "seq_J_per_mol_K"}) {
      CHECK_MESSAGE(f.contains(key), key);
    }
    CHECK(f["rho0_fitted"] == true);
    CHECK(f["rho0_per_A3"].get<double>() == doctest::Approx(0.0538345).epsilon(0.03));
    CHECK(f["r_max_A"].get<double>() == doctest::Approx(10.0));
    CHECK(f["seq_J_per_mol_K"].get<double>() == doctest::Approx(8.314462618 * f["seq_kB_per_atom"].get<double>()));
    CHECK(f["seq_kB_per_atom"].get<double>() < -3.5);  // a Cu-Zr glass: about -4 k_B per atom
    CHECK(f["seq_kB_per_atom"].get<double>() > -4.6);
  }
  CHECK(files[0]["file"] == gr);
  // The .gr (rpoly from its header) and the plain text (default rpoly 0.9 A) are the same data.
  CHECK(files[0]["seq_kB_per_atom"].get<double>() == doctest::Approx(files[1]["seq_kB_per_atom"].get<double>()).epsilon(1e-6));

  const auto given = test::run_process({GLASSLAB_BINARY, "analyze", "--gr", gr, "--rho0", "0.0538345", "--r-min", "2.0",
                                        "--r-max", "8", "--format", "json"},
                                       std::chrono::seconds(20));
  REQUIRE(given.exit_code == 0);
  const auto one = nlohmann::json::parse(given.out).at(0);
  CHECK(one["rho0_fitted"] == false);
  CHECK(one["rho0_per_A3"].get<double>() == 0.0538345);
  CHECK(one["r_max_A"].get<double>() == 8.0);
  CHECK(one["r_min_A"].get<double>() == 2.0);

  // A file that cannot be read: its own entry with the reason, the others still printed, exit != 0.
  const auto missing = test::run_process({GLASSLAB_BINARY, "analyze", "--gr", gr, dir.path + "/absent.gr", "--format", "json"},
                                         std::chrono::seconds(20));
  CHECK(missing.exit_code != 0);
  const auto mixed = nlohmann::json::parse(missing.out);
  REQUIRE(mixed.size() == 2);
  CHECK(mixed[0].contains("seq_kB_per_atom"));
  CHECK(mixed[1]["error"].get<std::string>().find("absent.gr") != std::string::npos);
}

TEST_CASE("analyze --dma-csv --format json: peaks per frequency, per relaxation the documented fields") {
  test::TempDir dir;
  const std::string csv = dir.path + "/dma.csv";
  {
    std::ofstream out(csv);
    out << "T_K,frequency_Hz,tan_delta\n";
    for (const auto& s : analysis::synthetic::paper_dma_samples(0.005, 21)) out << fmt::format("{:.9g},{:g},{:.9g}\n", s.T_K, s.frequency_Hz, s.value);
  }
  const auto result = test::run_process({GLASSLAB_BINARY, "analyze", "--dma-csv", csv, "--format", "json"}, std::chrono::seconds(30));
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const auto report = nlohmann::json::parse(result.out);
  REQUIRE(report["frequencies"].size() == 5);
  for (const auto& f : report["frequencies"]) CHECK(f["peaks"].size() == 3);
  const std::map<std::string, double> paper{{"alpha", 7.51}, {"beta", 1.29}, {"gamma", 0.28}};
  REQUIRE(report["relaxations"].size() == 3);
  for (const auto& r : report["relaxations"]) {
    INFO(r.dump());
    for (const char* key : {"name", "activation_energy_eV", "activation_energy_eV_stderr", "tau0_s", "peak_temperatures_K"}) {
      CHECK_MESSAGE(r.contains(key), key);
    }
    const std::string name = r["name"];
    REQUIRE(paper.count(name) == 1);
    CHECK(r["activation_energy_eV"].get<double>() == doctest::Approx(paper.at(name)).epsilon(0.1));
    CHECK(r["activation_energy_eV_stderr"].get<double>() > 0);
    CHECK(r["tau0_s"].get<double>() > 0);
    const auto& temperatures = r["peak_temperatures_K"];
    for (const char* frequency : {"0.05", "0.5", "3", "7", "15"}) CHECK_MESSAGE(temperatures.contains(frequency), frequency);
    CHECK(temperatures["15"].get<double>() > temperatures["0.05"].get<double>());  // faster: hotter peak
  }
}

TEST_CASE("analyze on files with --out: Seq(T), heat flow against T/Tg, tan delta fits and Arrhenius as PNG and SVG with units") {
  test::TempDir dir;
  std::vector<std::string> args{GLASSLAB_BINARY, "analyze", "--gr"};
  std::vector<std::string> temperatures;
  det::GlassStructureModel model(det::SampleState::as_cast);
  const auto r = det::r_grid();
  for (int i = 0; i < 40; ++i) {  // 600 -> 756 K, 4 K apart: enough for the series and a Tg search
    const double T = 600.0 + 4.0 * i;
    model.advance_to(T);
    const std::string file = fmt::format("{}/frame_{:03d}.gr", dir.path, i);
    det::write_gr_file(file, {{"rpoly", "0.9"}}, r, model.observed_G(r, T, 12.0, 100 + i));
    args.push_back(file);
    temperatures.push_back(fmt::format("{}", T));
  }
  args.push_back("--T-mid-K");
  args.insert(args.end(), temperatures.begin(), temperatures.end());
  const std::string csv = dir.path + "/dma.csv";
  {
    std::ofstream out(csv);
    out << "T_K,frequency_Hz,tan_delta\n";
    for (const auto& s : analysis::synthetic::paper_dma_samples(0.005, 22)) out << fmt::format("{:.9g},{:g},{:.9g}\n", s.T_K, s.frequency_Hz, s.value);
  }
  const std::string out_dir = dir.path + "/report";
  args.insert(args.end(), {"--dma-csv", csv, "--out", out_dir, "--format", "json"});
  const auto result = test::run_process(args, std::chrono::seconds(60));
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const auto report = nlohmann::json::parse(result.out);
  CHECK(report["series"].is_object());
  CHECK(report["dma"].is_object());
  for (const char* stem : {"seq_T", "heat_flow", "dma_fits", "arrhenius"}) {
    for (const char* ext : {".png", ".svg", ".gp"}) {
      const fs::path file = fs::path(out_dir) / (std::string(stem) + ext);
      CHECK_MESSAGE(fs::exists(file), file);
      if (fs::exists(file)) CHECK(fs::file_size(file) > 500);
    }
  }
  // Axes labelled with units (the gnuplot scripts that made the images, and the SVG text).
  CHECK(slurp(fs::path(out_dir) / "seq_T.gp").find("(J mol^{-1} K^{-1})") != std::string::npos);
  CHECK(slurp(fs::path(out_dir) / "seq_T.gp").find("(K)") != std::string::npos);
  const std::string heat_flow = slurp(fs::path(out_dir) / "heat_flow.gp");
  CHECK(heat_flow.find("T / T_g") != std::string::npos);
  CHECK(heat_flow.find("W g^{-1}") != std::string::npos);
  CHECK(slurp(fs::path(out_dir) / "dma_fits.gp").find("T (K)") != std::string::npos);
  const std::string arrhenius = slurp(fs::path(out_dir) / "arrhenius.gp");
  CHECK(arrhenius.find("1000 / T_p (K^{-1})") != std::string::npos);
  CHECK(arrhenius.find("ln (f / Hz)") != std::string::npos);
  CHECK(slurp(fs::path(out_dir) / "heat_flow.svg").find("<svg") != std::string::npos);
  CHECK(fs::exists(fs::path(out_dir) / "report.json"));
}
