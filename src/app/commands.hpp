// Registry of subcommands beyond train/datasets (analyze, plot, reproduce, bench): each module adds its own.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "app/train_settings.hpp"
#include "util/enum_names.hpp"

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

// Adds the train flags (shared by `train` and the reproduce commands that train). Values are parsed and
// range-checked here, once: a bad one is a CLI11 error naming the flag (exit 2) before anything is written.
void add_train_options(CLI::App& cmd, TrainSettings& settings);

// A flag whose text `parse` turns into `value` as CLI11 reads it, once: a std::invalid_argument from `parse` becomes
// "--flag: <its message>" (exit 2); --help shows `default_text`.
template <class V, class Parse>
CLI::Option* add_parsed(CLI::App& cmd, const std::string& flag, V& value, Parse parse, const std::string& default_text,
                        const std::string& help) {
  const auto assign = [&value, flag, parse](const std::string& text) {
    try {
      value = parse(text);
    } catch (const std::invalid_argument& e) {
      throw CLI::ValidationError(flag, e.what());
    }
  };
  return cmd.add_option_function<std::string>(flag, assign, help)->default_str(default_text);
}

// A flag taking one of an enum's names (util/enum_names.hpp): a bad name fails with "--flag: unknown value 'x';
// valid: a, b" (exit 2); --help shows the default's name.
template <NamedEnum E> CLI::Option* add_choice(CLI::App& cmd, const std::string& flag, E& value, const std::string& help) {
  return add_parsed(cmd, flag, value, [](const std::string& text) { return parse_enum<E>(text, "value"); }, to_string(value),
                    help)
      ->type_name("NAME");
}

// A CLI11 check on a numeric flag, read as a double (so "-4" is seen before an unsigned option wraps it):
// `ok` decides; the error reads "expected <expected>, got 'x'". Text that is no number is left to the conversion.
inline CLI::Validator number_check(std::function<bool(double)> ok, const std::string& expected) {
  return CLI::Validator(
      [ok, expected](std::string& text) {
        double value = 0;
        if (!CLI::detail::lexical_cast(text, value) || ok(value)) return std::string();
        return "expected " + expected + ", got '" + text + "'";
      },
      "");
}

// Adds analyze, plot, reproduce and bench.
void register_commands(CLI::App& app, CommandRegistry& registry);

// Each module registers its own commands (called by register_commands); the reports live in app/reproduce/.
void register_run_commands(CLI::App& app, CommandRegistry& registry);             // analyze, plot
void register_reproduce_figure1(CLI::App& reproduce, CommandRegistry& registry);
void register_reproduce_cnn(CLI::App& reproduce, CommandRegistry& registry);  // conv nets (issue 18)
void register_reproduce_figure2(CLI::App& reproduce, CommandRegistry& registry);  // VCL vs SGD
void register_reproduce_theorem2(CLI::App& reproduce, CommandRegistry& registry);
void register_reproduce_theorem3(CLI::App& reproduce, CommandRegistry& registry);
void register_reproduce_linearization(CLI::App& reproduce, CommandRegistry& registry);  // issue 8: Target Linearity over depth
void register_reproduce_spike(CLI::App& reproduce, CommandRegistry& registry);          // issue 8: one large step

}  // namespace vclab
