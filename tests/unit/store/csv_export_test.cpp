// CSV export of each stream: exact headers (a contract with the issues and the analysis scripts),
// values, quoting, missing values, unknown runs.
#include <doctest/doctest.h>

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "acquisition/store/csv_export.hpp"
#include "acquisition/store/run_reader.hpp"
#include "acquisition/store/run_store.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "store_test_support.hpp"

using namespace glasslab;
using namespace glasslab::acquisition;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

struct ExportFixture {
  test::TempDir dir;
  std::string path = dir.file("glasslab.sqlite");
  RunId run = 0;

  ExportFixture() {
    RunStore store(path);
    run = store.begin_run(test::run_start());
    store.record(test::stage_reading(0));
    store.record(test::stage_reading(1));
    store.record(Event{test::kMonoOrigin_ns, test::kUtcOrigin_ns, EventLevel::error, "linkam", "open_circuit",
                       "EB1 bit 2, \"sensor open\", stage at 300.1 K"});
    FrameRecord frame;
    frame.index = 0;
    frame.trigger_mono_ns = 12'000'000'500;
    frame.t_start_utc_ns = test::kUtcOrigin_ns;
    frame.t_end_utc_ns = test::kUtcOrigin_ns + 12'000'000'000;
    frame.start_source = "commanded";
    frame.T_start_K = 100.5;  // T_mid_K and T_end_K missing
    frame.status = "missed";
    frame.reason = "no file, detector silent";
    store.record(frame);
    DmaPoint point{test::kMonoOrigin_ns, test::kUtcOrigin_ns, 1, "gamma", 150.25, 0.05, 3.2e10, 1.6e8, 0.005, 0.01,
                   0.5, 0.0, "bending", 0};
    store.record(point);
    store.end_run(run, RunStop{});
  }

  std::vector<std::string> csv(Stream stream) {
    RunReader reader(path);
    std::ostringstream out;
    reader.export_csv(run, stream, out);
    return lines_of(out.str());
  }
};

}  // namespace

TEST_CASE("stage CSV: header and values") {
  ExportFixture fixture;
  const auto lines = fixture.csv(Stream::stage);
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] == "t_utc,t_mono_s,T_K,setpoint_K,rate_K_per_min,status,error_bits,pump_speed,step_index");
  const auto r = test::stage_reading(1);
  // 93.15 + 0.01 is not the double nearest 93.16: the export must print the value that reads back exactly.
  CHECK(std::stod(format_number(r.T_K)) == r.T_K);
  CHECK(lines[2] == format_utc(r.t_utc_ns) + ",5000.100000000," + format_number(r.T_K) + ",873.15,10,holding_limit,1,1,1");
  CHECK(lines[1].rfind(format_utc(test::kUtcOrigin_ns) + ",5000.000000000,93.15,", 0) == 0);
}

TEST_CASE("events CSV quotes commas and quotes") {
  ExportFixture fixture;
  const auto lines = fixture.csv(Stream::events);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == "t_utc,level,source,kind,message");
  CHECK(lines[1] ==
        format_utc(test::kUtcOrigin_ns) + ",error,linkam,open_circuit,\"EB1 bit 2, \"\"sensor open\"\", stage at 300.1 K\"");
}

TEST_CASE("frames CSV leaves missing temperatures empty") {
  ExportFixture fixture;
  const auto lines = fixture.csv(Stream::frames);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] ==
        "index,t_trigger_mono_s,t_start_utc,t_end_utc,start_source,T_start_K,T_mid_K,T_end_K,file,status,reason");
  CHECK(lines[1] == "0,12.000000500," + format_utc(test::kUtcOrigin_ns) + "," +
                        format_utc(test::kUtcOrigin_ns + 12'000'000'000) +
                        ",commanded,100.5,,,,missed,\"no file, detector silent\"");
}

TEST_CASE("dma CSV: header and values") {
  ExportFixture fixture;
  const auto lines = fixture.csv(Stream::dma);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] ==
        "t_utc,t_mono_s,sweep,T_K,frequency_Hz,storage_modulus_Pa,loss_modulus_Pa,tan_delta,strain_pct,force_N,mode");
  CHECK(lines[1] == format_utc(test::kUtcOrigin_ns) + ",5000.000000000,gamma,150.25,0.05,32000000000,160000000,0.005,"
                                                      "0.01,0.5,bending");
}

TEST_CASE("exporting an unknown run names the run and the database") {
  ExportFixture fixture;
  RunReader reader(fixture.path);
  std::ostringstream out;
  try {
    reader.export_csv(fixture.run + 41, Stream::stage, out);
    FAIL("exported a run that does not exist");
  } catch (const UsageError& e) {
    const std::string message = e.what();
    CHECK(message.find(std::to_string(fixture.run + 41)) != std::string::npos);
    CHECK(message.find(fixture.path) != std::string::npos);
  }
  CHECK(out.str().empty());
}

TEST_CASE("stream names and field formatting") {
  CHECK(parse_stream("stage") == Stream::stage);
  CHECK(parse_stream("frames") == Stream::frames);
  CHECK(parse_stream("dma") == Stream::dma);
  CHECK(parse_stream("events") == Stream::events);
  CHECK_FALSE(parse_stream("temperature").has_value());
  CHECK(format_seconds(0) == "0.000000000");
  CHECK(format_seconds(1'234'567'890'123'456'789) == "1234567890.123456789");  // beyond a double's 15-16 digits
  CHECK(format_seconds(-250'000'000) == "-0.250000000");
  CHECK(format_number(0.1) == "0.1");
  CHECK(format_number(std::nullopt).empty());
  CHECK(format_number(std::nan("")).empty());
  CHECK(csv_field("plain") == "plain");
  CHECK(csv_field("line\nbreak") == "\"line\nbreak\"");
}
