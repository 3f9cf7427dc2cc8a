#pragma once
// The environment as the AWS credential and region code sees it. Providers never call getenv: they get
// an EnvLookup, so tests pass a map and stay hermetic; main passes the configuration's
// process_environment() (config/config_sources.hpp), which has the same type.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace mc {

using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

// The variable's value; unset and empty are the same, as in the AWS SDKs.
std::optional<std::string> env_value(const EnvLookup& env, std::string_view name);

}  // namespace mc
