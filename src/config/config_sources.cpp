#include "config/config_sources.hpp"

#include <unistd.h>

#include <cstdlib>
#include <set>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "common/file_util.hpp"
#include "config/config_error.hpp"

namespace mc {
namespace {

std::string_view shape_name(const YAML::Node& node) {
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a mapping";
  return "an undefined value";
}

// A scalar as text; null is the empty string; a list only for symbol lists, joined by commas.
std::string value_text(const ConfigKey& key, const YAML::Node& value, std::string_view where) {
  if (value.IsNull()) return "";
  if (value.IsScalar()) return value.Scalar();
  if (value.IsSequence() && key.type == ValueType::kSymbolList) {
    std::string joined;
    for (const YAML::Node& item : value) {
      if (!item.IsScalar()) {
        throw ConfigError(fmt::format("{}: expected a list of symbols, got {} in the list", where, shape_name(item)));
      }
      joined += joined.empty() ? "" : ",";
      joined += item.Scalar();
    }
    return joined;
  }
  const std::string_view expected =
      key.type == ValueType::kSymbolList ? "a symbol or a list of symbols" : "a single value";
  throw ConfigError(fmt::format("{}: expected {}, got {}", where, expected, shape_name(value)));
}

void apply_yaml_root(const std::string& file, const YAML::Node& root, ConfigBuilder& builder) {
  if (root.IsNull()) return;  // an empty file sets nothing
  if (!root.IsMap()) throw ConfigError(fmt::format("{}: expected a mapping of setting names to values", file));
  std::set<std::string> seen;
  for (const auto& entry : root) {
    const std::string position = fmt::format("{}:{}", file, entry.first.Mark().line + 1);
    if (!entry.first.IsScalar()) throw ConfigError(fmt::format("{}: expected a setting name as key", position));
    const std::string& name = entry.first.Scalar();
    const ConfigKey* key = find_config_key_by_yaml(name);
    if (key == nullptr) {
      throw ConfigError(fmt::format("{}: unknown key \"{}\": expected one of the keys of configs/collector.yaml",
                                    position, name));
    }
    if (!seen.insert(name).second) throw ConfigError(fmt::format("{}: key \"{}\" appears twice", position, name));
    const std::string where = fmt::format("{}: {}", position, name);
    builder.set(*key, value_text(*key, entry.second, where), where);
  }
}

}  // namespace

Environment process_environment() {
  return [](std::string_view name) -> std::optional<std::string> {
    // Read at start-up only, before any thread exists.
    const char* value = std::getenv(std::string(name).c_str());  // NOLINT(concurrency-mt-unsafe)
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

std::vector<std::string> process_environment_names() {
  std::vector<std::string> names;
  // Read at start-up only, before any thread exists; POSIX offers no other way to list the variables.
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    names.emplace_back(text.substr(0, text.find('=')));
  }
  return names;
}

void apply_environment(const Environment& env, ConfigBuilder& builder) {
  for (const ConfigKey& key : config_table()) {
    if (std::optional<std::string> value = env(key.env)) builder.set(key, *value, std::string(key.env));
  }
}

void apply_yaml_file(const std::filesystem::path& path, ConfigBuilder& builder) {
  const std::string file = path.string();
  Result<std::string> content = read_file(path);
  if (!content) {
    throw ConfigError(fmt::format("{}: cannot read the configuration file: {}", file, content.status().message()));
  }
  YAML::Node root;
  try {
    root = YAML::Load(*content);
  } catch (const YAML::Exception& e) {
    throw ConfigError(fmt::format("{}:{}:{}: not valid YAML: {}", file, e.mark.line + 1, e.mark.column + 1, e.msg));
  }
  apply_yaml_root(file, root, builder);
}

}  // namespace mc
