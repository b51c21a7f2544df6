// The whole DMA path: CSV text, per-frequency fits, per-relaxation Arrhenius energies.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include <fmt/format.h>

#include "analysis/dma.hpp"
#include "core/error.hpp"
#include "tests/unit/analysis/synthetic.hpp"

using namespace glasslab::analysis;

TEST_CASE("paper's energies recovered from synthetic tan delta at 5 frequencies") {
  const auto samples = synthetic::paper_dma_samples(0.01, 1234);
  const DmaAnalysis analysis = analyze_dma(samples);
  REQUIRE(analysis.fits.size() == 5);
  REQUIRE(analysis.relaxations.size() == 3);
  for (const auto& fit : analysis.fits) {
    INFO(fit.frequency_Hz, " Hz: ", fit.reason);
    CHECK(fit.status == FitStatus::ok);
  }
  const auto model = synthetic::paper_model();
  for (const auto& relaxation : analysis.relaxations) {
    INFO(relaxation.name, ": ", relaxation.arrhenius.reason);
    REQUIRE(relaxation.arrhenius.status == FitStatus::ok);
    const auto truth = std::find_if(model.begin(), model.end(), [&](const auto& m) { return relaxation.name == m.name; });
    REQUIRE(truth != model.end());
    const double E = *relaxation.arrhenius.energy_eV;
    const double tolerance = std::max(*relaxation.arrhenius.energy_stderr_eV, 0.10 * truth->energy_eV);
    CHECK(std::abs(E - truth->energy_eV) <= tolerance);
    CHECK(relaxation.points.size() == 5);
  }
}

TEST_CASE("CSV: columns by name, errors name the line and value") {
  const std::string text = "# DMA export\nfrequency_Hz,T_K,tan_delta,loss_modulus_Pa\n1,300,0.01,1e6\n1,302,0.011,1.1e6\n";
  const auto tan_delta = parse_dma_csv(text, "sweep.csv", DmaObservable::tan_delta);
  REQUIRE(tan_delta.size() == 2);
  CHECK(tan_delta[1].T_K == 302);
  CHECK(tan_delta[1].value == doctest::Approx(0.011));
  const auto loss = parse_dma_csv(text, "sweep.csv", DmaObservable::loss_modulus);
  CHECK(loss[0].value == doctest::Approx(1e6));
  CHECK_THROWS_WITH_AS(parse_dma_csv("T_K,frequency_Hz,tan_delta\n300,1,0.01\n301,1,x1\n", "bad.csv", DmaObservable::tan_delta),
                       doctest::Contains("bad.csv:3: column tan_delta is not a finite number: 'x1'"), glasslab::ProtocolError);
  CHECK_THROWS_WITH_AS(parse_dma_csv("T,f,tan\n300,1,0.01\n", "hdr.csv", DmaObservable::tan_delta),
                       doctest::Contains("hdr.csv:1:"), glasslab::ProtocolError);
  CHECK_THROWS_WITH_AS(parse_dma_csv("T_K,frequency_Hz,tan_delta\n300,1\n", "short.csv", DmaObservable::tan_delta),
                       doctest::Contains("short.csv:2: 2 cells"), glasslab::ProtocolError);
}

TEST_CASE("frequencies grouped within tolerance and sorted by temperature") {
  std::vector<DmaSample> samples{{310, 1.0, 1}, {300, 1.0000000001, 2}, {305, 0.5, 3}, {290, 0.5, 4}};
  const auto groups = group_by_frequency(samples);
  REQUIRE(groups.size() == 2);
  CHECK(groups[0].frequency_Hz == 0.5);
  CHECK(groups[0].T_K == std::vector<double>{290, 305});
  CHECK(groups[1].T_K == std::vector<double>{300, 310});
}
