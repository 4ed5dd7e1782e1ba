// vclab command-line entry point: dispatches subcommands (train, analyze, plot, reproduce, bench, datasets).
#include "app/cli_app.hpp"
#include "train/allocator_tuning.hpp"

int main(int argc, char** argv) {
  vclab::tune_allocator_for_training();
  return vclab::run_cli(argc, argv);
}
