#include "aws/aws_env.hpp"

namespace mc {

std::optional<std::string> env_value(const EnvLookup& env, std::string_view name) {
  std::optional<std::string> value = env(name);
  if (!value || value->empty()) return std::nullopt;
  return value;
}

}  // namespace mc
