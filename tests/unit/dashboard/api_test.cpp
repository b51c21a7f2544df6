// The dashboard's JSON from a real run store: routes, downsampled stage series, live cursors,
// Seq with heat flow, and the Arrhenius plot of stored fits.
#include <doctest/doctest.h>

#include <cmath>
#include <numbers>

#include "acquisition/store/run_store.hpp"
#include "dashboard/api/derived_series.hpp"
#include "dashboard/api/live_feed.hpp"
#include "dashboard/api/run_queries.hpp"
#include "dashboard/server/api_routes.hpp"
#include "tests/unit/store/store_test_support.hpp"

using namespace glasslab;
using namespace glasslab::dashboard;
namespace acq = glasslab::acquisition;

namespace {

/// A finished run of `readings` stage readings (10 Hz) and a few events.
acq::RunId record_run(const std::string& path, int readings) {
  acq::RunStore store(path);
  const auto run = store.begin_run(acq::test::run_start());
  for (int i = 0; i < readings; ++i) store.record(acq::test::stage_reading(i));
  store.record(acq::Event{acq::test::kMonoOrigin_ns, acq::test::kUtcOrigin_ns, acq::EventLevel::info, "engine", "plan", "3 steps"});
  store.end_run(run, acq::RunStop{acq::ExitStatus::success, "done", acq::test::kMonoOrigin_ns + readings * 100'000'000LL, 0});
  return run;
}

}  // namespace

TEST_CASE("targets are split into path segments and decoded query parameters") {
  const auto t = parse_target("/api/runs/12/stage?buckets=800&name=a%20b+c");
  CHECK(t.segments == std::vector<std::string>{"api", "runs", "12", "stage"});
  CHECK(t.integer("buckets", 0) == 800);
  CHECK(t.integer("missing", 7) == 7);
  CHECK(t.query.at("name") == "a b c");
  CHECK_THROWS_AS(parse_target("/x?n=12abc").integer("n", 0), std::invalid_argument);
}

TEST_CASE("the API lists runs, downsamples the stage, and answers 400 and 404 with a reason") {
  acq::test::TempDir dir;
  const auto path = dir.file("runs.sqlite");
  const auto run = record_run(path, 20'000);
  RunQueries q(path);
  const auto runs = handle_api_get(q, parse_target("/api/runs"));
  REQUIRE(runs.status == 200);
  CHECK(runs.body[0]["id"] == run);
  CHECK(runs.body[0]["stage_readings"] == 20'000);

  const auto stage = handle_api_get(q, parse_target("/api/runs/1/stage?buckets=100"));
  REQUIRE(stage.status == 200);
  CHECK(stage.body["downsampled"] == true);
  CHECK(stage.body["t_s"].size() <= 200);
  CHECK(stage.body["t_s"][0] == 0.0);  // seconds from the run's start
  CHECK(stage.body["T_K"][0] == doctest::Approx(93.15));
  CHECK(stage.body["T_K"].back() == doctest::Approx(93.15 + 0.01 * 19'999));
  const auto all = handle_api_get(q, parse_target("/api/runs/1/stage?all=1"));
  CHECK(all.body["t_s"].size() == 20'000);
  CHECK(all.body["downsampled"] == false);

  const auto detail = handle_api_get(q, parse_target("/api/runs/1"));
  CHECK(detail.body["exit_status"] == "success");
  CHECK(detail.body["speed"] == 1000);
  CHECK(detail.body["control"]["available"] == false);  // recorded without a control bus
  CHECK(handle_api_get(q, parse_target("/api/runs/2")).status == 404);
  CHECK(handle_api_get(q, parse_target("/api/runs/abc")).status == 400);
  CHECK(handle_api_get(q, parse_target("/api/runs/1/stage?buckets=many")).status == 400);
  CHECK(handle_api_get(q, parse_target("/api/runs/1/nothing")).status == 404);
  CHECK(handle_api_get(q, parse_target("/api/elsewhere")).status == 404);
}

TEST_CASE("the live feed sends what is new after the cursor, then nothing until something changes") {
  acq::test::TempDir dir;
  const auto path = dir.file("runs.sqlite");
  acq::RunStore store(path);
  const auto run = store.begin_run(acq::test::run_start());
  for (int i = 0; i < 10; ++i) store.record(acq::test::stage_reading(i));
  store.flush();
  RunQueries q(path);
  LiveCursor cursor;
  cursor.stage = q.stage_series(run, 100)["last"].get<std::int64_t>() - 3;  // the page holds all but 3
  auto first = live_update(q, run, cursor);
  REQUIRE(first.has_value());
  CHECK((*first)["stage"].size() == 3);
  CHECK((*first)["exit_status"] == "running");
  CHECK_FALSE(live_update(q, run, cursor).has_value());
  for (int i = 10; i < 15; ++i) store.record(acq::test::stage_reading(i));
  store.flush();
  auto second = live_update(q, run, cursor);
  REQUIRE(second.has_value());
  REQUIRE((*second)["stage"].size() == 5);
  CHECK((*second)["stage"][0][1] == doctest::Approx(93.15 + 0.10));
  CHECK((*second)["cursors"]["stage"] == cursor.stage);
}

TEST_CASE("heat flow of a heating ramp's Seq(T): T dSeq/dT times the heating rate") {
  // Seq rising linearly, 0.05 J/(mol K) per K, one frame every 12 s at 10 K/min.
  std::vector<SeqFrame> frames;
  for (int i = 0; i < 40; ++i)
    frames.push_back({i, 1, 400.0 + 2.0 * i, 12.0 * i, -4.0, -30.0 + 0.05 * 2.0 * i});
  frames.push_back({40, 2, 300.0, 900.0, -4.1, -31.0});  // a cooling frame stays out of the series
  const auto j = seq_with_heat_flow(frames, std::nullopt);
  CHECK(j["frames"].size() == 41);
  REQUIRE(j["heat_flow"].is_object());
  CHECK(j["heat_flow"]["step_index"] == 1);
  CHECK(j["heat_flow"]["heating_rate_K_per_min"] == doctest::Approx(10.0));
  const auto& T = j["heat_flow"]["T_K"];
  const auto& phi = j["heat_flow"]["value"];
  const std::size_t mid = T.size() / 2;
  const double expected_W_per_g = T[mid].get<double>() * 0.05 * (10.0 / 60.0) / 75.006;  // Eq. 3, default molar mass
  CHECK(j["heat_flow"]["unit"] == "W/g");
  CHECK(phi[mid].get<double>() == doctest::Approx(expected_W_per_g).epsilon(0.02));
  CHECK(seq_with_heat_flow({}, std::nullopt)["heat_flow"].is_null());
}

TEST_CASE("the Arrhenius plot shows each relaxation's peaks and its fitted line") {
  constexpr double E_eV = 1.29, k = 8.617333262e-5, ln_tau0 = -35.0;
  nlohmann::json points = nlohmann::json::array();
  for (double f : {0.5, 3.0, 15.0}) {  // exact Arrhenius peak temperatures
    const double Tp = E_eV / k / (-std::log(2 * std::numbers::pi * f) - ln_tau0);
    points.push_back({{"frequency_Hz", f}, {"Tp_K", Tp}});
  }
  const nlohmann::json joint_failed{{"name", "beta"}, {"status", "failed"}, {"energy_eV", nullptr}, {"points", points}};
  const nlohmann::json windowed{{"name", "beta"}, {"status", "ok"}, {"energy_eV", E_eV}, {"ln_tau0", ln_tau0}, {"points", points}};
  const nlohmann::json fit{{"sweep", "step 1 beta"}, {"relaxations", {joint_failed}}, {"relaxations_windowed", {windowed}}};
  const auto j = arrhenius_from_fits({fit});
  REQUIRE(j["relaxations"].size() == 1);
  const auto& r = j["relaxations"][0];
  CHECK(r["energy_eV"] == E_eV);
  CHECK(r["sweep"] == "step 1 beta");
  REQUIRE(r["line"].size() == 2);
  const double x0 = r["line"][0][0], y0 = r["line"][0][1], x1 = r["line"][1][0], y1 = r["line"][1][1];
  CHECK((y1 - y0) / (x1 - x0) == doctest::Approx(-E_eV / k / 1000.0));
  for (const auto& p : r["points"])  // every exact peak lies on the line
    CHECK(p[1].get<double>() == doctest::Approx(y0 + (y1 - y0) / (x1 - x0) * (p[0].get<double>() - x0)));
}
