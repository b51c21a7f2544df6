#include "app/commands.hpp"

namespace glasslab::app {

void add_analyze_command(CLI::App& app) {
  (void)app;  // placeholder: this area's commands are not wired yet
}

}  // namespace glasslab::app
