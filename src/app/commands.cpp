// Subcommands beyond train/datasets: `analyze`, `plot`, `reproduce <name>`, `bench`. Each module registers its own.
#include "app/commands.hpp"

namespace vclab {

void register_commands(CLI::App& app, CommandRegistry& registry) {
  auto* reproduce = app.add_subcommand("reproduce", "Regenerate the paper's results into reports/ (figure1, figure2, theorem2, theorem3)");
  reproduce->require_subcommand(1);
  (void)registry;
}

}  // namespace vclab
