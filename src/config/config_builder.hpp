#pragma once
// Merges values from the sources into one Config, row by row, remembering where each final value
// came from so that every refusal names the key the way its source spells it.

#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "config/config_table.hpp"

namespace mc {

class ConfigBuilder {
 public:
  ConfigBuilder();  // every row at its default

  // Parses, validates and sets one value; throws ConfigError naming `source_name` and the value.
  // `source_name` is the key as the source spells it: ROT_BYTES, --rot-bytes, file.yaml:3: rot_bytes.
  void set(const ConfigKey& key, std::string_view text, std::string source_name);

  // The values so far, before the final checks.
  const Config& config() const { return config_; }

  // Resolves an empty INSTANCE_ID to the host name, runs the rows' final checks (directories
  // created and writable, CA file readable), then keeps the symbols of SHARD. Throws ConfigError.
  Config finish() &&;

 private:
  struct Origin {
    std::string name;
    std::string text;
  };

  // Last: the checks before it (ROT_SECS_OVERRIDES against SYMBOL) see every listed symbol, and all
  // that follows only this shard's.
  void keep_shard_symbols();

  Config config_;
  std::vector<Origin> origins_;  // one per row of config_table()
};

}  // namespace mc
