#pragma once
// The one exception of the project: a configuration value refused at start-up. main catches it,
// prints "config error: <what>" and exits with code 2.

#include <stdexcept>
#include <string>

namespace mc {

// what() is one line naming the key (as the source spells it), the value and what is allowed:
//   ROT_BYTES="abc": expected an integer from 1024 to 1073741824
class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace mc
