// Subcommands beyond train/datasets: `analyze`, `plot`, `reproduce <name>`, `bench`. Each module registers its own.
#include "app/commands.hpp"

namespace vclab {
namespace {
std::string g_invocation = "vclab";
}

const std::string& invocation() { return g_invocation; }

void set_invocation(int argc, char** argv) {
  g_invocation = "vclab";
  for (int i = 1; i < argc; ++i) g_invocation += std::string(" ") + argv[i];
}

void register_commands(CLI::App& app, CommandRegistry& registry) {
  register_run_commands(app, registry);
  auto* reproduce = app.add_subcommand("reproduce", "Regenerate the paper's results into reports/ (figure1, figure2, theorem2, theorem3, linearization, spike)");
  reproduce->require_subcommand(1);
  register_reproduce_figure1(*reproduce, registry);
  register_reproduce_figure2(*reproduce, registry);
  register_reproduce_theorem2(*reproduce, registry);
  register_reproduce_theorem3(*reproduce, registry);
  register_reproduce_linearization(*reproduce, registry);
  register_reproduce_spike(*reproduce, registry);
  register_reproduce_cnn(*reproduce, registry);
}

}  // namespace vclab
