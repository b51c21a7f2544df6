// TRIOS fixture exports into a real (temporary) SQLite run store and back out as the dma CSV.
#include <doctest/doctest.h>

#include <filesystem>
#include <sstream>
#include <unistd.h>

#include "acquisition/dma/trios_import.hpp"
#include "acquisition/store/run_reader.hpp"
#include "acquisition/store/run_store.hpp"

using namespace glasslab;
using namespace glasslab::acquisition;
namespace fs = std::filesystem;

namespace {
fs::path fixture(const char* name) { return fs::path(GLASSLAB_SOURCE_DIR) / "tests/fixtures/trios" / name; }

struct TempDb {
  TempDb() : dir(fs::temp_directory_path() / ("glasslab-trios-import-" + std::to_string(::getpid()))) {
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~TempDb() {
    std::error_code ignored;
    fs::remove_all(dir, ignored);
  }
  std::string path() const { return (dir / "runs.sqlite").string(); }
  fs::path dir;
};
}  // namespace

TEST_CASE("each TRIOS export becomes one DMA run with its points, warnings and times") {
  TempDb db;
  ManualClock clock(5'000'000'000LL);
  RunId english = 0, german = 0;
  {
    RunStore store(db.path());
    const auto en = rheometer::trios::read_export(fixture("dma_torsion_en.txt"));
    const auto imported_en = dma::store_trios_export(en, store, clock, "test");
    CHECK(imported_en.points == 5);
    english = imported_en.run;
    const auto de = rheometer::trios::read_export(fixture("dma_bending_de.json"));
    const auto imported_de = dma::store_trios_export(de, store, clock, "test");
    CHECK(imported_de.warnings == 1);
    german = imported_de.run;
    store.flush();
  }
  CHECK(german != english);
  RunReader reader(db.path());
  const auto points = reader.dma_points(english);
  REQUIRE(points.size() == 5);
  CHECK(points[0].T_K == doctest::Approx(300.0));
  CHECK(points[0].mode == "torsion");
  CHECK(points[0].sweep == "Temperature ramp (1 Hz, 10 Hz)");
  CHECK(points[0].t_utc_ns == (1687737600LL + 13 * 3600 + 43 * 60 + 31) * 1'000'000'000LL);
  CHECK(points[4].instrument_index == 5);
  const auto bending = reader.dma_points(german);
  REQUIRE(bending.size() == 3);
  CHECK(bending[0].mode == "bending");
  CHECK(bending[0].storage_modulus_Pa == doctest::Approx(9.51e10));
  bool warned = false;
  for (const auto& e : reader.events(german)) warned |= e.kind == "import_warning" && e.message.find("Rows[2]") != std::string::npos;
  CHECK(warned);

  std::ostringstream csv;
  reader.export_csv(english, Stream::dma, csv);
  const std::string header = csv.str().substr(0, csv.str().find('\n'));
  for (const char* column : {"t_utc", "T_K", "frequency_Hz", "storage_modulus_Pa", "loss_modulus_Pa", "tan_delta", "mode"})
    CHECK(header.find(column) != std::string::npos);
}
