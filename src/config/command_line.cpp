#include "config/command_line.hpp"

#include <array>
#include <span>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "config/config_error.hpp"
#include "config/config_table.hpp"

namespace mc {
namespace {

constexpr std::string_view kProgram = "market-collector";
constexpr std::string_view kDescription = "captures Binance trade streams into an object store";

using Args = std::vector<std::string>;

struct Subcommand {
  std::string_view name;
  std::string_view summary;  // empty: not listed by --help
  Invocation (*parse)(const Args& args, const Environment& env);
};

Invocation parse_run(const Args& args, const Environment& env);
Invocation parse_config_table(const Args& args, const Environment& env);

// A new subcommand (audit, ...) is one more row and its parse function.
constexpr std::array kSubcommands{
    Subcommand{"run", "collect the configured streams into the store (the default)", parse_run},
    Subcommand{"config-table", "", parse_config_table},
};

std::string without_backticks(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c != '`') out += c;
  }
  return out;
}

std::string help_text() {
  std::string out = fmt::format("{} {}: {}\n\nUsage: {} [COMMAND] [OPTIONS]\n\nCommands:\n", kProgram,
                                MC_VERSION, kDescription, kProgram);
  for (const Subcommand& command : kSubcommands) {
    if (!command.summary.empty()) out += fmt::format("  {:<14}{}\n", command.name, command.summary);
  }
  out += fmt::format(
      "\nOptions:\n"
      "  -h, --help    print this help and exit\n"
      "  --version     print the version and exit\n"
      "  {} PATH\n"
      "      env {}\n"
      "      YAML file with the settings below under their snake_case names; no file is read otherwise\n"
      "\nSettings (a flag beats the environment, which beats the YAML file, which beats the default):\n",
      kConfigFileFlag, kConfigFileEnv);
  for (const ConfigKey& key : config_table()) {
    const std::string_view shown_default = key.default_note.empty() ? key.default_value : key.default_note;
    out += fmt::format("  {} {}\n      env {}, yaml {}, default: {}\n      {}\n", key.flag, value_type_name(key.type),
                       key.env, key.yaml, shown_default, without_backticks(key.help));
  }
  return out;
}

// CLI11 messages can span lines; a start-up error is one.
std::string one_line(std::string_view text) {
  std::string out;
  for (char c : text) out += c == '\n' || c == '\r' ? ' ' : c;
  return out;
}

// Parses with CLI11, turning its errors into one-line ConfigErrors.
void parse_arguments(CLI::App& app, const Args& args) {
  // "--name=value" is split here because CLI11 2.1 reads an empty "--name=" as a bare "--name" and
  // takes the next argument as its value; an empty value is meaningful (METRICS_ADDR= disables).
  Args reversed;  // CLI11 takes the arguments in reverse order
  for (auto it = args.rbegin(); it != args.rend(); ++it) {
    const std::size_t equals = it->find('=');
    if (it->rfind("--", 0) == 0 && equals != std::string::npos) {
      reversed.push_back(it->substr(equals + 1));
      reversed.push_back(it->substr(0, equals));
    } else {
      reversed.push_back(*it);
    }
  }
  try {
    app.parse(std::move(reversed));
  } catch (const CLI::ParseError& e) {
    throw ConfigError(fmt::format("command line: {} (see --help)", one_line(e.what())));
  }
}

// The table's flags and --config on a subcommand's CLI11 app; after parsing, build() merges them
// with the environment, the YAML file and the defaults. CLI11 keeps pointers into this object.
class SettingFlags {
 public:
  explicit SettingFlags(CLI::App& app) : values_(config_table().size()) {
    config_file_option_ = app.add_option(std::string(kConfigFileFlag), config_file_)->type_name("PATH");
    const std::span<const ConfigKey> table = config_table();
    for (std::size_t i = 0; i < table.size(); ++i) {
      options_.push_back(app.add_option(std::string(table[i].flag), values_[i])
                             ->type_name(std::string(value_type_name(table[i].type))));
    }
  }
  SettingFlags(const SettingFlags&) = delete;
  SettingFlags& operator=(const SettingFlags&) = delete;

  Config build(const Environment& env) const {
    ConfigBuilder builder;
    std::optional<std::string> file = env(kConfigFileEnv);
    std::string file_source(kConfigFileEnv);
    if (config_file_option_->count() > 0) {
      file = config_file_;
      file_source = kConfigFileFlag;
    }
    if (file) {
      if (file->empty()) throw ConfigError(fmt::format("{}=\"\": expected the path of a YAML file", file_source));
      apply_yaml_file(*file, builder);
    }
    apply_environment(env, builder);
    const std::span<const ConfigKey> table = config_table();
    for (std::size_t i = 0; i < table.size(); ++i) {
      if (options_[i]->count() > 0) builder.set(table[i], values_[i], std::string(table[i].flag));
    }
    return std::move(builder).finish();
  }

 private:
  std::string config_file_;
  CLI::Option* config_file_option_ = nullptr;
  std::vector<std::string> values_;  // one per row, sized before CLI11 takes pointers into it
  std::vector<CLI::Option*> options_;
};

Invocation parse_run(const Args& args, const Environment& env) {
  CLI::App app{std::string(kDescription), std::string(kProgram)};
  app.set_help_flag();  // --help prints help_text(), generated from the table
  bool help = false;
  bool version = false;
  app.add_flag("-h,--help", help);
  app.add_flag("--version", version);
  const SettingFlags settings(app);
  parse_arguments(app, args);
  if (help) return {Invocation::Command::kHelp, Config{}, help_text()};
  if (version) return {Invocation::Command::kHelp, Config{}, fmt::format("{} {}\n", kProgram, MC_VERSION)};
  return {Invocation::Command::kRun, settings.build(env), ""};
}

Invocation parse_config_table(const Args& args, const Environment& /*env*/) {
  if (!args.empty()) {
    throw ConfigError(fmt::format("command line: config-table takes no arguments, got \"{}\"", one_line(args.front())));
  }
  return {Invocation::Command::kConfigTable, Config{}, config_markdown_table()};
}

}  // namespace

Invocation parse_invocation(int argc, const char* const* argv, const Environment& env) {
  Args args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  const Subcommand* command = &kSubcommands.front();
  if (!args.empty() && !args.front().empty() && args.front().front() != '-') {
    command = nullptr;
    std::string listed;
    for (const Subcommand& candidate : kSubcommands) {
      if (candidate.name == args.front()) command = &candidate;
      if (!candidate.summary.empty()) listed += fmt::format("{}{}", listed.empty() ? "" : ", ", candidate.name);
    }
    if (command == nullptr) {
      throw ConfigError(
          fmt::format("command line: unknown command \"{}\": expected {} (see --help)", one_line(args.front()),
                      listed));
    }
    args.erase(args.begin());
  }
  return command->parse(args, env);
}

}  // namespace mc
