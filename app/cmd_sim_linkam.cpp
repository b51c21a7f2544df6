#include "app/commands.hpp"

namespace glasslab::app {

void add_sim_linkam_command(CLI::App& sim) {
  (void)sim;  // placeholder: this area's commands are not wired yet
}

}  // namespace glasslab::app
