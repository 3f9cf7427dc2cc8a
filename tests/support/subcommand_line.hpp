#pragma once
// Parses `market-collector <subcommand> ARGS...` as main() does, with an environment holding only a
// spool and a store under a temporary directory: the command-line tests of audit and ohlcv.
// Tests that include it link mc_config.
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

class SubcommandLine {
 public:
  explicit SubcommandLine(std::string subcommand) : subcommand_(std::move(subcommand)) {}

  Invocation parse(const std::vector<std::string>& args) const {
    std::vector<const char*> argv{"market-collector", subcommand_.c_str()};
    for (const std::string& arg : args) argv.push_back(arg.c_str());
    const std::map<std::string, std::string> values{{"LOCAL_DIR", (dir_.path() / "spool").string()},
                                                    {"LOCAL_STORE_DIR", (dir_.path() / "store").string()}};
    const Environment env = [values](std::string_view name) -> std::optional<std::string> {
      const auto it = values.find(std::string(name));
      if (it == values.end()) return std::nullopt;
      return it->second;
    };
    return parse_invocation(static_cast<int>(argv.size()), argv.data(), env);
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

 private:
  std::string subcommand_;
  TempDir dir_;
};

}  // namespace mc::testing
