#include "feed/symbol_groups.hpp"

#include <cassert>

namespace mc {

std::vector<SymbolGroup> split_symbols(std::size_t symbols, std::size_t per_connection) {
  assert(per_connection >= 1);
  const std::size_t groups = (symbols + per_connection - 1) / per_connection;
  std::vector<SymbolGroup> out;
  out.reserve(groups);
  std::size_t first = 0;
  for (std::size_t g = 0; g < groups; ++g) {
    const std::size_t count = symbols / groups + (g < symbols % groups ? 1 : 0);
    out.push_back({first, count});
    first += count;
  }
  return out;
}

std::optional<std::size_t> connection_for_listing(const std::vector<std::size_t>& streams, std::size_t limit) {
  std::optional<std::size_t> best;
  for (std::size_t i = 0; i < streams.size(); ++i) {
    if (streams[i] >= limit) continue;
    if (!best || streams[i] < streams[*best]) best = i;
  }
  return best;
}

}  // namespace mc
