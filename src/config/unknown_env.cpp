#include "config/unknown_env.hpp"

#include <algorithm>
#include <map>
#include <numeric>

#include "config/config_table.hpp"

namespace mc {
namespace {

// A prefix is the collector's when this many keys share it: one key alone (AWS_REGION, TLS_CA_FILE)
// shares its prefix with other software (the AWS chain's AWS_PROFILE, ...), which must not be warned of.
constexpr std::size_t kKeysPerOwnedPrefix = 2;

std::string upper(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  });
  return out;
}

std::string_view prefix_of(std::string_view name) {
  const std::size_t underscore = name.find('_');
  return underscore == std::string_view::npos ? std::string_view{} : name.substr(0, underscore + 1);
}

std::vector<std::string_view> known_keys() {
  std::vector<std::string_view> keys{kConfigFileEnv};
  for (const ConfigKey& key : config_table()) keys.push_back(key.env);
  return keys;
}

std::vector<std::string_view> owned_prefixes(std::span<const std::string_view> keys) {
  std::map<std::string_view, std::size_t> counts;
  for (std::string_view key : keys) {
    if (const std::string_view prefix = prefix_of(key); !prefix.empty()) ++counts[prefix];
  }
  std::vector<std::string_view> owned;
  for (const auto& [prefix, count] : counts) {
    if (count >= kKeysPerOwnedPrefix) owned.push_back(prefix);
  }
  return owned;
}

}  // namespace

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Three rows of the usual dynamic programme: a transposition looks two rows back.
  std::vector<std::size_t> before(b.size() + 1);
  std::vector<std::size_t> previous(b.size() + 1);
  std::vector<std::size_t> current(b.size() + 1);
  std::iota(previous.begin(), previous.end(), std::size_t{0});
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t substitution = a[i - 1] == b[j - 1] ? 0 : 1;
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + substitution});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        current[j] = std::min(current[j], before[j - 2] + 1);
      }
    }
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return previous[b.size()];
}

std::vector<UnknownVariable> find_unknown_variables(std::span<const std::string> names) {
  const std::vector<std::string_view> keys = known_keys();
  const std::vector<std::string_view> prefixes = owned_prefixes(keys);
  std::vector<UnknownVariable> unknown;
  for (const std::string& name : names) {
    if (std::find(keys.begin(), keys.end(), name) != keys.end()) continue;
    const std::string upper_name = upper(name);
    std::string_view nearest;
    std::size_t nearest_distance = 0;
    for (std::string_view key : keys) {
      const std::size_t distance = edit_distance(upper_name, key);
      if (nearest.empty() || distance < nearest_distance) {
        nearest = key;
        nearest_distance = distance;
      }
    }
    const bool owned_prefix =
        std::find(prefixes.begin(), prefixes.end(), prefix_of(upper_name)) != prefixes.end();
    if (nearest_distance <= 1 || owned_prefix) unknown.push_back({.name = name, .likely_key = nearest});
  }
  return unknown;
}

}  // namespace mc
