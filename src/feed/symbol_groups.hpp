#pragma once
// How the configured symbols are spread over WebSocket connections: Binance allows at most 1024
// streams on one connection, and a combined-stream URL of a thousand streams (~16 KB) is longer than
// many proxies accept, so a large symbol list is carried by several connections (docs/FEED.md).

#include <cstddef>
#include <optional>
#include <vector>

namespace mc {

// A run of consecutive symbols, in SYMBOL order, that one connection carries. Stream i of that
// connection is symbol first + i.
struct SymbolGroup {
  std::size_t first = 0;
  std::size_t count = 0;

  bool contains(std::size_t symbol) const { return symbol >= first && symbol - first < count; }
  bool operator==(const SymbolGroup&) const = default;
};

// Splits `symbols` symbols, in order, into ceil(symbols / per_connection) groups whose sizes differ by
// at most one, the larger ones first: 201 at 200 per connection is 101 + 100, not 200 + 1. No group
// for no symbols. per_connection must be at least 1.
std::vector<SymbolGroup> split_symbols(std::size_t symbols, std::size_t per_connection);

// SYMBOL=ALL: the connection a new listing joins, given how many streams each carries: the one with
// the fewest (the first on a tie), so listings spread; nullopt when every one holds `limit` (Binance's
// 1024) already. A connection may so grow past WS_STREAMS_PER_CONNECTION, which only splits the list
// at start; the next start splits the grown list evenly again.
std::optional<std::size_t> connection_for_listing(const std::vector<std::size_t>& streams, std::size_t limit);

}  // namespace mc
