// glasslab: instrument control and acquisition for in-situ studies of glass relaxation.
#include <cstdio>
#include <cstdlib>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "app/commands.hpp"
#include "core/error.hpp"

namespace glasslab::app {

std::string default_db_path() {
  if (const char* env = std::getenv("GLASSLAB_DB"); env && *env) return env;
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) return std::string(xdg) + "/glasslab/glasslab.sqlite";
  if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.local/share/glasslab/glasslab.sqlite";
  return "glasslab.sqlite";
}

}  // namespace glasslab::app

int main(int argc, char** argv) {
  CLI::App app{"glasslab: Linkam stage, X-ray trigger and DHR-3 rheometer control, logging and analysis"};
  app.set_version_flag("--version", std::string("glasslab ") + GLASSLAB_VERSION);
  app.require_subcommand(1);

  glasslab::app::add_run_commands(app);
  glasslab::app::add_check_command(app);
  glasslab::app::add_store_commands(app);
  auto* sim = app.add_subcommand("sim", "Run a simulated instrument that speaks the real wire protocol");
  sim->require_subcommand(1);
  glasslab::app::add_sim_linkam_command(*sim);
  glasslab::app::add_sim_rheometer_command(*sim);
  glasslab::app::add_sim_xrd_command(*sim);
  glasslab::app::add_import_commands(app);
  glasslab::app::add_analyze_command(app);
  glasslab::app::add_serve_commands(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const glasslab::Error& e) {
    std::fflush(stdout);
    fmt::print(stderr, "glasslab: {} error: {}\n", glasslab::to_string(e.category()), e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fflush(stdout);
    fmt::print(stderr, "glasslab: error: {}\n", e.what());
    return 2;
  }
  return 0;
}
