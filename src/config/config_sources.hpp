#pragma once
// The sources of settings below the command line: the environment and the YAML file.

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config_builder.hpp"

namespace mc {

// Looks up one environment variable; nullopt when it is not set (set but empty is a value).
// Tests pass a map, main passes process_environment().
using Environment = std::function<std::optional<std::string>(std::string_view name)>;

Environment process_environment();

// The names of every variable in the process environment (to look for misspelt settings).
std::vector<std::string> process_environment_names();

// Sets every row whose env var is present. Throws ConfigError.
void apply_environment(const Environment& env, ConfigBuilder& builder);

// Reads a YAML mapping of the table's snake_case keys. An unreadable file, a YAML syntax error, an
// unknown or repeated key, or a value of the wrong shape throws ConfigError naming the file and key.
void apply_yaml_file(const std::filesystem::path& path, ConfigBuilder& builder);

}  // namespace mc
