#include "app/commands.hpp"

namespace glasslab::app {

void add_check_command(CLI::App& app) {
  (void)app;  // placeholder: this area's commands are not wired yet
}

}  // namespace glasslab::app
