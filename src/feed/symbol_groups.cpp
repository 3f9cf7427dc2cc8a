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

}  // namespace mc
