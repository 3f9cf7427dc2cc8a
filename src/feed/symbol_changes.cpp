#include "feed/symbol_changes.hpp"

#include <set>
#include <string_view>

namespace mc {

SymbolChanges diff_symbols(const std::vector<std::string>& current, const std::vector<std::string>& wanted) {
  const std::set<std::string_view> now(current.begin(), current.end());
  const std::set<std::string_view> next(wanted.begin(), wanted.end());
  SymbolChanges changes;
  for (const std::string& symbol : wanted) {
    if (!now.contains(symbol)) changes.listed.push_back(symbol);
  }
  for (const std::string& symbol : current) {
    if (!next.contains(symbol)) changes.delisted.push_back(symbol);
  }
  return changes;
}

}  // namespace mc
