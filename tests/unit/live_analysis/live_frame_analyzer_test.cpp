// LiveFrameAnalyzer: a frame's .gr file (written by the simulated detector's writer from the
// structural model) becomes a stored FrameAnalysis with the model's Seq; bad frames become
// "failed" rows with the reason, and nothing throws.
#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "acquisition/live_analysis.hpp"
#include "sim/detector/detector.hpp"
#include "sim/detector/glass_model.hpp"
#include "tests/support/process.hpp"

using namespace glasslab;
namespace det = glasslab::sim::detector;

TEST_CASE("a simulated detector frame gives the model's Seq, missing files and bad frames are recorded") {
  test::TempDir dir;
  det::GlassStructureModel model(det::SampleState::as_cast);
  model.advance_to(600.0);
  const auto r = det::r_grid();
  const std::string file = dir.path + "/frame_00003.gr";
  det::write_gr_file(file, {{"rpoly", "0.9"}}, r, model.observed_G(r, 600.0, 12.0, 7));

  std::vector<acquisition::FrameAnalysis> sink;
  acquisition::LiveFrameAnalyzer analyzer({}, [&](const acquisition::FrameAnalysis& a) { sink.push_back(a); }, nullptr, 42);
  acquisition::FrameRecord frame;
  frame.index = 3;
  frame.status = "ok";
  frame.file = file;
  frame.T_mid_K = 600.0;
  const auto ok = analyzer.on_frame(frame);
  REQUIRE(ok.status == "ok");
  CHECK(ok.run_id == 42);
  CHECK(ok.frame_index == 3);
  REQUIRE(ok.seq_kB_per_atom.has_value());
  CHECK(std::abs(*ok.seq_kB_per_atom - model.seq_kB(600.0)) < 0.05);  // truncation + noise, k_B/atom
  CHECK(ok.rho0_fitted);
  CHECK(ok.r_max_A == doctest::Approx(10.0));

  frame.index = 4;
  frame.file = dir.path + "/missing.gr";
  const auto missing = analyzer.on_frame(frame);
  CHECK(missing.status == "failed");
  CHECK(missing.reason.find("missing.gr") != std::string::npos);

  frame.index = 5;
  frame.status = "missed";
  frame.file.clear();
  CHECK(analyzer.on_frame(frame).reason.find("missed") != std::string::npos);

  // A late file is the frame's own file, delivered after the tolerance: analysed all the same.
  frame.index = 6;
  frame.status = "late";
  frame.file = file;
  frame.reason = "file appeared 8.2 s after the exposure end (tolerance 7.5 s)";
  CHECK(analyzer.on_frame(frame).status == "ok");
  frame.index = 7;
  frame.status = "unreadable";
  frame.reason = "permission denied";
  const auto unreadable = analyzer.on_frame(frame);
  CHECK(unreadable.status == "failed");
  CHECK(unreadable.reason.find("unreadable") != std::string::npos);

  REQUIRE(sink.size() == 5);
  CHECK(analyzer.failed() == 3);

  acquisition::LiveFrameAnalyzer throwing({}, [](const acquisition::FrameAnalysis&) { throw std::runtime_error("disk full"); });
  frame.status = "ok";
  frame.file = file;
  CHECK_NOTHROW(throwing.on_frame(frame));
  CHECK(throwing.sink_failures() == 1);
  CHECK(throwing.last_sink_error() == "disk full");
}
