#pragma once
// Each area registers its subcommands here; main.cpp only wires them together.
#include <string>

#include <CLI/CLI.hpp>

namespace glasslab::app {

/// $GLASSLAB_DB, else $XDG_DATA_HOME/glasslab/glasslab.sqlite, else ~/.local/share/glasslab/glasslab.sqlite.
std::string default_db_path();

/// --port, --bind and --allow-remote of `serve` and `run --serve` (docs/dashboard.md).
void add_dashboard_options(CLI::App& command, int& port, std::string& bind_address, bool& allow_remote);

void add_run_commands(CLI::App& app);             ///< run, resume
void add_check_command(CLI::App& app);            ///< glasslab check FILE
void add_store_commands(CLI::App& app);           ///< runs, export
void add_sim_linkam_command(CLI::App& sim);       ///< glasslab sim linkam
void add_sim_rheometer_command(CLI::App& sim);    ///< glasslab sim rheometer
void add_sim_xrd_command(CLI::App& sim);          ///< glasslab sim xrd (trigger box + detector)
void add_import_commands(CLI::App& app);          ///< glasslab import trios
void add_analyze_command(CLI::App& app);          ///< glasslab analyze
void add_serve_commands(CLI::App& app);           ///< glasslab serve, glasslab ctl

}  // namespace glasslab::app
