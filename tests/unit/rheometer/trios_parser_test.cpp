// drivers/rheometer/trios: the fixture exports in tests/fixtures/trios/ (written in the formats the
// reference documents) and inline malformed files.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <numbers>
#include <string>

#include "drivers/rheometer/trios/columns.hpp"
#include "drivers/rheometer/trios/trios_export.hpp"

using namespace glasslab;
using namespace glasslab::rheometer;
using namespace glasslab::rheometer::trios;

namespace {
std::filesystem::path fixture(const char* name) {
  return std::filesystem::path(GLASSLAB_SOURCE_DIR) / "tests/fixtures/trios" / name;
}
std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ProtocolError& e) {
    return e.what();
  }
  return "(no error)";
}
}  // namespace

TEST_CASE("column names and units are matched by meaning in en/de/fr") {
  CHECK(normalise_name("Température") == "temperature");
  CHECK(normalise_name("Tan(δ)") == "tandelta");
  CHECK(normalise_name("Oscillation strain (cmd)") == "oscillationstraincmd");
  auto t = classify_column("Temperatur", "°C");
  REQUIRE(t.has_value());
  CHECK(t->quantity == Quantity::temperature);
  CHECK(25.0 * t->scale + t->offset == doctest::Approx(298.15));
  auto w = classify_column("Fréquence angulaire", "rad/s");
  REQUIRE(w.has_value());
  CHECK(2 * std::numbers::pi * w->scale == doctest::Approx(1.0));
  CHECK(classify_column("Speichermodul", "MPa")->scale == doctest::Approx(1e6));
  CHECK(classify_column("Module de perte", "GPa")->quantity == Quantity::loss_modulus);
  CHECK(classify_column("Oscillation torque", "µN.m")->scale == doctest::Approx(1e-6));
  CHECK(classify_column("Axial force", "g")->scale == doctest::Approx(9.80665e-3));
  CHECK_FALSE(classify_column("Oscillation strain (cmd)", "%").has_value());  // the command, not the measurement
  CHECK_FALSE(classify_column("Storage modulus", "furlongs").has_value());
  CHECK(split_json_key("Temperatur_°C") == std::pair<std::string, std::string>("Temperatur", "°C"));
  CHECK(parse_cell_number("149,98").value() == doctest::Approx(149.98));
  CHECK_FALSE(parse_cell_number("").has_value());
  CHECK_THROWS_AS(parse_cell_number("12a"), std::invalid_argument);
}

TEST_CASE("locale dates: US with AM/PM, day-first, German dots, ISO with offsets") {
  const std::int64_t s = 1'000'000'000;
  const std::int64_t june26_2023 = 1687737600LL * s;  // 2023-06-26T00:00:00Z
  CHECK(*parse_date_time_utc_ns("6/26/2023 1:43:31 PM", DateOrder::month_first, 0) == june26_2023 + (13 * 3600 + 43 * 60 + 31) * s);
  CHECK(*parse_date_time_utc_ns("6/26/2023 12:05:00 AM", DateOrder::month_first, 0) == june26_2023 + 300 * s);
  CHECK(*parse_date_time_utc_ns("26.06.2023 13:43:31", DateOrder::day_first, 120) == june26_2023 + (11 * 3600 + 43 * 60 + 31) * s);
  CHECK(*parse_date_time_utc_ns("2023-06-26T13:43:31.5Z", DateOrder::iso, 60) == june26_2023 + (13 * 3600 + 43 * 60 + 31) * s + s / 2);
  CHECK(*parse_date_time_utc_ns("2023-06-26T15:43:31+02:00", DateOrder::iso, 0) == june26_2023 + (13 * 3600 + 43 * 60 + 31) * s);
  CHECK(infer_date_order({"6/26/2023 1:43:31 PM"}) == DateOrder::month_first);
  CHECK(infer_date_order({"05/06/2023 13:00", "26/06/2023 13:00"}) == DateOrder::day_first);
  CHECK(infer_date_order({"26.06.2023 13:43:31"}) == DateOrder::day_first);
  CHECK_FALSE(parse_date_time_utc_ns("", DateOrder::iso, 0).has_value());
  CHECK_THROWS_AS(parse_date_time_utc_ns("13/45/2023 10:00", DateOrder::month_first, 0), std::invalid_argument);
}

TEST_CASE("English LIMS text: two steps, °C → K, rad/s → Hz, units converted, US dates") {
  const auto e = read_export(fixture("dma_torsion_en.txt"));
  CHECK(e.format == "lims-text");
  CHECK(e.sample_name == "Vit105 as-cast bar 3");
  CHECK(e.procedure_name == "DMA torsion 2 K/min");
  CHECK(e.mode == Mode::torsion);
  CHECK(e.mode_known);
  REQUIRE(e.points.size() == 5);
  const auto& first = e.points[0];
  CHECK(first.T_K == doctest::Approx(300.0));
  CHECK(first.frequency_Hz == doctest::Approx(1.0));
  CHECK(e.points[1].frequency_Hz == doctest::Approx(10.0));
  CHECK(first.storage_Pa == doctest::Approx(3.45e10));
  CHECK(first.loss_Pa == doctest::Approx(6.9e7));
  CHECK(first.tan_delta == doctest::Approx(0.002));
  CHECK(first.strain_pct == doctest::Approx(0.01001));  // measured strain, not "(cmd)"
  CHECK(first.torque_Nm == doctest::Approx(3920.5e-6));
  CHECK(first.force_N == doctest::Approx(0.498));
  CHECK(first.time_s.value() == doctest::Approx(10.5));
  CHECK(first.step == "Temperature ramp (1 Hz, 10 Hz)");
  CHECK(first.utc_ns.value() == (1687737600LL + 13 * 3600 + 43 * 60 + 31) * 1'000'000'000LL);
  // Step 2: a Frequency column in Hz, moduli in MPa, torque in g.cm.
  const auto& fourth = e.points[3];
  CHECK(fourth.step == "Temperature ramp (0.1 Hz)");
  CHECK(fourth.frequency_Hz == doctest::Approx(0.1));
  CHECK(fourth.storage_Pa == doctest::Approx(3.447e10));
  CHECK(fourth.torque_Nm == doctest::Approx(40.0 * 9.80665e-5));
  CHECK(fourth.T_K == doctest::Approx(302.0));
  CHECK(e.run_start_utc_ns.value() == (1687737600LL + 13 * 3600 + 34 * 60 + 19) * 1'000'000'000LL);
}

TEST_CASE("German-localised JSON: localised keys, MPa, mN, rad/s, ResultsMapping steps, null cells") {
  const auto e = read_export(fixture("dma_bending_de.json"));
  CHECK(e.format == "json");
  CHECK(e.sample_name == "Vit105 HPT Scheibe 1");
  CHECK(e.mode == Mode::bending);
  REQUIRE(e.points.size() == 3);  // Rows[2] has a null loss modulus: skipped with a warning
  REQUIRE_FALSE(e.warnings.empty());
  CHECK(e.warnings.front().find("Rows[2]") != std::string::npos);
  CHECK(e.points[0].T_K == doctest::Approx(123.65));
  CHECK(e.points[0].frequency_Hz == doctest::Approx(0.05));
  CHECK(e.points[0].storage_Pa == doctest::Approx(9.51e10));
  CHECK(e.points[0].loss_Pa == doctest::Approx(1.1e8));
  CHECK(e.points[0].force_N == doctest::Approx(1.27));  // oscillation force, mN → N
  CHECK(e.points[0].step == "Oszillation-Temperaturrampe 1");
  CHECK(e.points[2].step == "Oszillation-Temperaturrampe 2");
  CHECK(e.points[2].frequency_Hz == doctest::Approx(7.0));
  CHECK(e.points[2].source_line == 3);
  // "+01:00" and "Z" both land on UTC.
  CHECK(*e.points[2].utc_ns - *e.points[0].utc_ns == 11'970'000'000LL);
  CHECK(e.run_start_utc_ns.value() == 1709673000LL * 1'000'000'000LL);
}

TEST_CASE("LIMS text with empty cells: optional cells default, required ones skip the row") {
  const auto e = read_export(fixture("dma_bending_empty_cells.txt"));
  CHECK(e.mode == Mode::bending);
  REQUIRE(e.points.size() == 3);
  CHECK(e.points[0].storage_Pa == doctest::Approx(95.1e9));
  CHECK(e.points[0].force_N == doctest::Approx(1.27));
  CHECK(e.points[1].strain_pct == 0);                                   // empty strain
  CHECK(e.points[1].tan_delta == doctest::Approx(0.098 / 95.0));          // empty tan δ: loss/storage
  CHECK_FALSE(e.points[1].utc_ns.has_value());                           // empty date
  CHECK(e.points[0].utc_ns.value() == (1687737600LL + 13 * 3600 + 43 * 60 + 31) * 1'000'000'000LL);  // day-first
  REQUIRE_FALSE(e.warnings.empty());
  CHECK(e.warnings.front().find(":16: row skipped: storage modulus is empty") != std::string::npos);
}

TEST_CASE("errors name the file, the line or row, and the column") {
  const std::string text =
      "[Step]\nStep name\tramp\nVariables\tTemperature\tFrequency\tStorage modulus\tLoss modulus\n"
      "Units\t°C\tHz\tPa\tPa\nData point\t20\t1\t1e10\t1e7\nData point\t21\tone\t1e10\t1e7\n";
  CHECK(message_of([&] { parse_lims_text(text, "bad.txt"); }) ==
        "bad.txt:6: column 'Frequency [Hz]': 'one' is not a number");
  const std::string no_loss = "[Step]\nVariables\tTemperature\tFrequency\tStorage modulus\nData point\t20\t1\t1e10\n";
  CHECK(message_of([&] { parse_lims_text(no_loss, "x.txt"); }).find("x.txt:2: step '' has no loss modulus column") == 0);
  const std::string json =
      R"({"Results":{"ColumnHeaders":{"T_K":{"DisplayName":"Temperature","ValueType":"Number","Unit":{"Name":"K"}},)"
      R"("f":{"DisplayName":"Frequency","ValueType":"Number","Unit":{"Name":"Hz"}},)"
      R"("G1":{"DisplayName":"Storage modulus","ValueType":"Number","Unit":{"Name":"Pa"}},)"
      R"("G2":{"DisplayName":"Loss modulus","ValueType":"Number","Unit":{"Name":"Pa"}}},)"
      R"("Rows":[{"T_K":300,"f":1,"G1":1e10,"G2":1e7},{"T_K":300,"f":true,"G1":1e10,"G2":1e7}]}})";
  CHECK(message_of([&] { parse_json_export(json, "r.json"); }) == "r.json: Results.Rows[1]: column 'f': true is not a number");
  CHECK(message_of([&] { parse_json_export("{\"Results\": [", "t.json"); }).find("t.json: not valid JSON") == 0);
}
