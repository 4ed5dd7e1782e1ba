// vclab command-line entry point: dispatches subcommands (train, analyze, plot, reproduce, bench, datasets).
#include "app/cli_app.hpp"

int main(int argc, char** argv) { return vclab::run_cli(argc, argv); }
