// Registry of subcommands beyond train/datasets (analyze, plot, reproduce, bench): each module adds its own.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>
#include <vector>

#include "app/train_settings.hpp"

namespace vclab {

class CommandRegistry {
 public:
  // `run` is called when `cmd` was parsed; it returns the exit code.
  void add(CLI::App* cmd, std::function<int()> run) { commands_.push_back({cmd, std::move(run)}); }
  int dispatch() const {
    for (const auto& c : commands_)
      if (c.cmd->parsed()) return c.run();
    return 2;
  }

 private:
  struct Entry {
    CLI::App* cmd;
    std::function<int()> run;
  };
  std::vector<Entry> commands_;
};

// The command line of this process, for reports ("vclab reproduce figure1 --seeds 3").
const std::string& invocation();
void set_invocation(int argc, char** argv);

// Adds the train flags (shared by `train` and the reproduce commands that train).
void add_train_options(CLI::App& cmd, TrainSettings& settings);

// Adds analyze, plot, reproduce and bench.
void register_commands(CLI::App& app, CommandRegistry& registry);

// Each module registers its own commands (called by register_commands); the reports live in app/reproduce/.
void register_run_commands(CLI::App& app, CommandRegistry& registry);             // analyze, plot
void register_reproduce_figure1(CLI::App& reproduce, CommandRegistry& registry);
void register_reproduce_figure2(CLI::App& reproduce, CommandRegistry& registry);  // VCL vs SGD
void register_reproduce_theorem2(CLI::App& reproduce, CommandRegistry& registry);
void register_reproduce_theorem3(CLI::App& reproduce, CommandRegistry& registry);
void register_reproduce_linearization(CLI::App& reproduce, CommandRegistry& registry);  // issue 8: Target Linearity over depth
void register_reproduce_spike(CLI::App& reproduce, CommandRegistry& registry);          // issue 8: one large step

}  // namespace vclab
