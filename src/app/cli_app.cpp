// CLI wiring (being built): subcommands are added as their modules land.
#include "app/cli_app.hpp"

#include <cstdio>

namespace vclab {

int run_cli(int, char**) {
  std::fprintf(stderr, "vclab: no subcommands are wired yet\n");
  return 2;
}

}  // namespace vclab
