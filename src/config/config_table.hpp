#pragma once
// The configuration table: one row per setting. It alone drives the environment, the YAML file,
// the command-line flags, --help, validation and the README's table (config_markdown_table).

#include <span>
#include <string>
#include <string_view>

#include "common/status.hpp"
#include "config/config.hpp"

namespace mc {

// The YAML file to read: flag, then environment. No file is read when neither names one.
inline constexpr std::string_view kConfigFileFlag = "--config";
inline constexpr std::string_view kConfigFileEnv = "COLLECTOR_CONFIG";

enum class ValueType { kText, kInteger, kBoolean, kSymbolList, kUrl, kPath, kChoice };

// The placeholder --help shows after a flag ("--rot-bytes INT").
std::string_view value_type_name(ValueType type);

struct ConfigKey {
  std::string_view env;   // ROT_BYTES
  std::string_view yaml;  // rot_bytes
  std::string_view flag;  // --rot-bytes
  ValueType type;
  // The default as text: what configs/collector.yaml holds and what `apply` gets before any source.
  std::string_view default_value;
  // How the docs show an empty default ("system store", "AWS"); empty: the value itself is shown.
  std::string_view default_note;
  std::string_view help;  // one line; Markdown backticks allowed
  // Parses and validates the text and sets the field of Config; on failure the Status says what is
  // allowed. Every value given by any source goes through it, even when a later source overrides it.
  Status (*apply)(std::string_view text, Config& config);
  // Checks against the outside world (directories, files) or other keys (ROT_SECS_OVERRIDES against
  // SYMBOL), made once on the final Config; may be null.
  Status (*check_final)(const Config& config) = nullptr;
  bool secret = false;  // the value never appears in messages
};

std::span<const ConfigKey> config_table();

// Null when no row has that YAML key.
const ConfigKey* find_config_key_by_yaml(std::string_view yaml_key);

// The README's table: env var | flag | default | meaning, one line per row, '\n'-terminated.
std::string config_markdown_table();

}  // namespace mc
