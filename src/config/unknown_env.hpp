#pragma once
// Environment variables that look like a setting but are none: a typo such as RAW_BUCKT would
// otherwise leave its setting at the default without a word. The collector shares the environment
// with other software, so these are warnings, never errors.

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mc {

struct UnknownVariable {
  std::string name;             // as set: RAW_BUCKT
  std::string_view likely_key;  // the table's nearest env var: RAW_BUCKET
};

// Of `names` (every variable set), those that are not a key of the configuration table (or
// COLLECTOR_CONFIG) but either start with a prefix the collector owns (a prefix before the first
// '_' that at least two keys share: S3_, WS_, BACKFILL_, ...) or are, upper-cased, one
// Damerau-Levenshtein edit away from a key. Each comes with the key nearest to it.
std::vector<UnknownVariable> find_unknown_variables(std::span<const std::string> names);

// Optimal string alignment distance (Damerau-Levenshtein where no substring is edited twice).
std::size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace mc
