#pragma once
// Binance's GET /api/v3/exchangeInfo, read for SYMBOL=ALL: which spot symbols trade now. Only the
// `symbols` array and, in each entry, `symbol` and `status` are read; the rest (filters, rate limits)
// is ignored. simdjson stays inside exchange_info.cpp.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.hpp"

namespace mc {

// The only status whose symbols SYMBOL=ALL collects; BREAK, HALT, PRE_TRADING, ... have no trades.
inline constexpr std::string_view kTradingStatus = "TRADING";

struct ExchangeSymbols {
  std::vector<std::string> trading;  // status TRADING, in the exchange's order
  std::size_t listed = 0;            // every entry of `symbols`, whatever its status
  // Entries whose name is not 2 to 20 upper-case letters or digits (the SYMBOL grammar, and what the
  // object keys allow): skipped, named here so the caller can log them.
  std::vector<std::string> odd_names;
};

// Errors (kCorrupt, naming what was wrong and, for an entry, its position): not JSON, no `symbols`
// array, an entry that is not an object or lacks a string `symbol` or `status`, a name listed twice,
// or no TRADING symbol at all (an exchange in maintenance or a wrong BINANCE_REST_URL: following such
// a list would unsubscribe everything).
Result<ExchangeSymbols> parse_exchange_info(std::string_view body);

}  // namespace mc
