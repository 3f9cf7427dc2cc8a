#pragma once
// Parses `market-collector [subcommand] ARGS...` as main() does, with an environment that starts
// with only a spool and a store under a temporary directory (tests add to it): the command-line
// tests of the collector, audit and ohlcv. Tests that include it link mc_config.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "config/command_line.hpp"
#include "config/config_error.hpp"
#include "support/temp_dir.hpp"

namespace mc::testing {

class InvocationParser {
 public:
  // An empty subcommand parses the collector's own line (`run`).
  explicit InvocationParser(std::string subcommand = "") : subcommand_(std::move(subcommand)) {
    env["LOCAL_DIR"] = (dir_.path() / "spool").string();
    env["LOCAL_STORE_DIR"] = (dir_.path() / "store").string();
  }

  // The environment parse() sees; it starts with the directories above, so the directory checks stay
  // inside the test's own directory.
  std::map<std::string, std::string> env;

  Invocation parse(const std::vector<std::string>& args) const {
    std::vector<const char*> argv{"market-collector"};
    if (!subcommand_.empty()) argv.push_back(subcommand_.c_str());
    for (const std::string& arg : args) argv.push_back(arg.c_str());
    const Environment lookup = [this](std::string_view name) -> std::optional<std::string> {
      const auto it = env.find(std::string(name));
      if (it == env.end()) return std::nullopt;
      return it->second;
    };
    return parse_invocation(static_cast<int>(argv.size()), argv.data(), lookup);
  }

  // The ConfigError's message; a test failure when the arguments parse.
  std::string error_of(const std::vector<std::string>& args) const {
    try {
      parse(args);
    } catch (const ConfigError& e) {
      return e.what();
    }
    ADD_FAILURE() << "no ConfigError";
    return "";
  }

  const TempDir& dir() const { return dir_; }

 private:
  std::string subcommand_;
  TempDir dir_;
};

}  // namespace mc::testing
