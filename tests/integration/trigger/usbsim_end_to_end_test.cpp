// The FT232H driver through SocketUsbTransport against the simulated trigger box and detector,
// in one process on a Unix socket: the same driver code a dry run uses.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <unistd.h>

#include "core/clock.hpp"
#include "drivers/trigger/ft232h_trigger.hpp"
#include "drivers/trigger/pulse_train.hpp"
#include "sim/detector/detector.hpp"
#include "sim/trigger/ftdi_chip.hpp"
#include "sim/trigger/usb_socket_server.hpp"

using namespace glasslab;
namespace fs = std::filesystem;

namespace {

struct SimRig {
  fs::path dir;
  ScaledSteadyClock clock{1.0};
  sim::detector::RampTruth truth{300.0, 600.0, 900.0};  // 10 K/s so frames differ visibly
  std::unique_ptr<sim::detector::SimDetector> detector;
  std::unique_ptr<sim::trigger::FtdiChipModel> chip;
  std::unique_ptr<sim::trigger::UsbSocketServer> server;

  explicit SimRig(const std::string& name) {
    dir = fs::temp_directory_path() / fmt::format("glasslab-trigger-{}-{}", name, ::getpid());
    fs::remove_all(dir);
    sim::detector::DetectorConfig config;
    config.out_dir = dir / "frames";
    config.sample_state = sim::detector::SampleState::hpt_ln2_stored_ln2;
    detector = std::make_unique<sim::detector::SimDetector>(clock, config, truth);
    chip = std::make_unique<sim::trigger::FtdiChipModel>(
        clock, [this](std::int64_t t, std::int64_t w) { return detector->on_trigger(t, w); },
        [this] { detector->arm(); }, sim::trigger::FtdiChipModel::Options{});
    server = std::make_unique<sim::trigger::UsbSocketServer>(
        sim::trigger::UsbSocketServer::on_unix_socket(*chip, (dir / "ftdi.sock").string()));
    server->start();
  }
  ~SimRig() {
    server.reset();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::vector<fs::path> frame_files() const {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(dir / "frames"))
      if (e.path().extension() == ".gr") out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
  }
};

}  // namespace

TEST_CASE("driver -> usbsim -> detector: N pulses give N-1 frame files, the first readout discarded") {
  SimRig rig("e2e");
  CHECK(rig.server->connection_string() == "usbsim:" + (rig.dir / "ftdi.sock").string());
  auto owned = trigger::open_ft232h_trigger_box(rig.server->connection_string(), rig.clock);
  owned.box->arm();
  CHECK(rig.chip->mode() == 0x02);       // MPSSE, set by the driver's SET_BITMODE
  CHECK(rig.chip->latency_ms() == 1);
  trigger::TrainSpec spec{.start_mono_ns = rig.clock.mono_ns(), .period_ns = 50'000'000, .count = 5};
  std::vector<trigger::TrainPulse> pulses;
  trigger::run_pulse_train(*owned.box, rig.clock, spec, pulses);
  REQUIRE(pulses.size() == 5);
  CHECK(rig.chip->pulses_seen() == 5);
  CHECK(rig.detector->discarded_readouts() == 1);
  CHECK(rig.detector->ignored_short_pulses() == 0);  // the driver's 20 us pulse is wide enough

  // Every pulse started a frame, and the read-back saw each one.
  const auto edges = owned.box->read_edges();
  REQUIRE(edges.size() == 5);
  for (std::size_t i = 0; i < 5; ++i) {
    CHECK(edges[i].mono_ns >= pulses[i].report.commanded_mono_ns);
    CHECK(edges[i].mono_ns - pulses[i].report.commanded_mono_ns < 50'000'000);
  }

  const auto files = rig.frame_files();
  REQUIRE(files.size() == 4);
  CHECK(files[0].filename() == "frame_00000.gr");
  const auto written = rig.detector->written();
  REQUIRE(written.size() == 4);
  // Frame i is exposed between pulse i and pulse i+1 (framewise: the period is the exposure).
  for (std::size_t i = 0; i < 4; ++i) {
    CHECK(written[i].end_mono_ns - written[i].start_mono_ns > 30'000'000);
    CHECK(written[i].start_mono_ns >= pulses[i].report.commanded_mono_ns);
    CHECK(written[i].start_mono_ns <= pulses[i].report.sent_mono_ns);
  }

  std::ifstream in(files[1]);
  std::stringstream text;
  text << in.rdbuf();
  const std::string content = text.str();
  CHECK(content.find("frame_index = 1\n") != std::string::npos);
  CHECK(content.find("sample_state = hpt_ln2_stored_ln2") != std::string::npos);
  CHECK(content.find("true_T_mid_K = ") != std::string::npos);
  const auto data_at = content.find("#### start data\n#S 1\n#L r G\n");
  REQUIRE(data_at != std::string::npos);
  std::istringstream rows(content.substr(data_at + 28));
  double r = 0, G = 0, last_r = -1, peak_r = 0, peak_G = -1e9, srr = 0, srg = 0;
  int count = 0;
  while (rows >> r >> G) {
    if (r >= 0.5 && r <= 1.9) {  // least-squares slope through the origin below the first shell
      srr += r * r;
      srg += r * G;
    }
    if (r > 2.2 && r < 3.5 && G > peak_G) {
      peak_G = G;
      peak_r = r;
    }
    last_r = r;
    ++count;
  }
  CHECK(count == 2001);
  CHECK(last_r == doctest::Approx(20.0));
  // Below the first neighbours G follows -4 pi rho0 r; a 50 ms frame is noisy, hence the margin.
  CHECK(srg / srr == doctest::Approx(-4 * 3.14159265 * 0.0538345).epsilon(0.25));
  CHECK(peak_r > 2.6);
  CHECK(peak_r < 2.85);
}

TEST_CASE("the box unplugged mid-train: DisconnectedError, frames already taken are kept") {
  SimRig rig("unplug");
  auto owned = trigger::open_ft232h_trigger_box(rig.server->connection_string(), rig.clock);
  owned.box->arm();
  trigger::TrainSpec spec{.start_mono_ns = rig.clock.mono_ns(), .period_ns = 20'000'000, .count = 3};
  std::vector<trigger::TrainPulse> pulses;
  trigger::run_pulse_train(*owned.box, rig.clock, spec, pulses);
  rig.chip->unplug();
  spec.start_mono_ns = rig.clock.mono_ns();
  CHECK_THROWS_WITH_AS(trigger::run_pulse_train(*owned.box, rig.clock, spec, pulses),
                       doctest::Contains("LIBUSB_ERROR_NO_DEVICE"), transport::DisconnectedError);
  CHECK(pulses.size() == 3);
  CHECK(rig.frame_files().size() == 2);
  owned.box->disarm();  // no throw with the device gone
}

TEST_CASE("a pulse narrower than 20 us at the pin is ignored by the detector") {
  SimRig rig("short");
  // A driver configured with a too-optimistic command floor emits fewer set-high repeats than
  // the simulated chip needs for 20 us: the detector must not count those pulses.
  auto usb = transport::make_usb_transport(transport::parse_connection_string(rig.server->connection_string()));
  trigger::Ft232hTriggerBox box(*usb, rig.clock, {.set_command_floor = std::chrono::nanoseconds(1000)});
  box.arm();
  box.pulse(std::chrono::microseconds(20));  // 20 repeats * 67 ns = 1.3 us at the simulated pin
  CHECK(rig.chip->pulses_seen() == 1);
  CHECK(rig.detector->ignored_short_pulses() == 1);
  CHECK(box.read_edges().empty());
}
