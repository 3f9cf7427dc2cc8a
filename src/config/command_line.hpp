#pragma once
// The process's entry into configuration: the subcommand, then settings from flags, environment,
// YAML file and defaults, in that order of precedence.

#include <string>

#include "config/config.hpp"
#include "config/config_sources.hpp"

namespace mc {

struct Invocation {
  enum class Command {
    kRun,          // collect with `config`
    kHelp,         // print `text` (the help or the version) and exit 0
    kConfigTable,  // print `text` (the README's Markdown table) and exit 0
  };
  Command command = Command::kRun;
  Config config;     // validated; defaults unless command is kRun
  std::string text;  // what to print for kHelp and kConfigTable
};

// argv[0] is the program name; an optional first argument names the subcommand (default: run).
// Throws ConfigError (main prints "config error: <what>" and exits 2).
Invocation parse_invocation(int argc, const char* const* argv, const Environment& env);

}  // namespace mc
