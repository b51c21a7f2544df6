// `glasslab analyze --trios FILE --format json` on the TRIOS fixture exports: the points reach the
// DMA analysis (grouped by frequency, converted to K and Hz); with so few points per frequency
// every relaxation is reported as insufficient data with a reason, never as a number.
#include <doctest/doctest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "tests/support/process.hpp"

using namespace glasslab;

namespace {
std::string fixture(const std::string& name) { return std::string(GLASSLAB_SOURCE_DIR) + "/tests/fixtures/trios/" + name; }
}  // namespace

TEST_CASE("analyze --trios: LIMS text and JSON exports reach the DMA analysis") {
  for (const char* name : {"dma_torsion_en.txt", "dma_bending_de.json"}) {
    INFO(name);
    const auto result = test::run_process({GLASSLAB_BINARY, "analyze", "--trios", fixture(name), "--format", "json"},
                                          std::chrono::seconds(20));
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    const auto report = nlohmann::json::parse(result.out);
    REQUIRE(report["frequencies"].is_array());
    CHECK(report["frequencies"].size() >= 1);
    for (const auto& f : report["frequencies"]) CHECK(f["frequency_Hz"].get<double>() > 0);
    REQUIRE(report["relaxations"].size() == 3);
    for (const auto& r : report["relaxations"]) {
      CHECK(r["activation_energy_eV"].is_null());  // 5 points cannot give an energy
      CHECK_FALSE(r["reason"].get<std::string>().empty());
    }
  }
}

TEST_CASE("analyze --trios: a missing file is an error naming it") {
  const auto result = test::run_process({GLASSLAB_BINARY, "analyze", "--trios", "/nonexistent/x.txt", "--format", "json"},
                                        std::chrono::seconds(20));
  CHECK(result.exit_code != 0);
  CHECK(result.err.find("/nonexistent/x.txt") != std::string::npos);
}
