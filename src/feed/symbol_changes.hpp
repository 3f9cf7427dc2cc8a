#pragma once
// SYMBOL=ALL: what a new read of the exchange's list changes in the set a collector follows.

#include <string>
#include <vector>

namespace mc {

struct SymbolChanges {
  std::vector<std::string> listed;    // wanted, not followed yet: to subscribe (in the order of `wanted`)
  std::vector<std::string> delisted;  // followed, no longer wanted: to unsubscribe (in the order of `current`)

  bool empty() const { return listed.empty() && delisted.empty(); }
};

// current: the symbols followed now; wanted: the exchange's TRADING symbols of this shard.
SymbolChanges diff_symbols(const std::vector<std::string>& current, const std::vector<std::string>& wanted);

}  // namespace mc
