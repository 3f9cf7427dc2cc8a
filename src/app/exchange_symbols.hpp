#pragma once
// SYMBOL=ALL: the exchange's TRADING spot symbols that belong to this SHARD, read from
// GET <BINANCE_REST_URL>/api/v3/exchangeInfo (the REST base the backfill uses).

#include <string>
#include <vector>

#include "common/status.hpp"
#include "config/shard.hpp"
#include "net/http_client.hpp"

namespace mc {

struct ShardSymbols {
  std::vector<std::string> symbols;  // this shard's, in the exchange's order
  std::size_t trading = 0;           // TRADING symbols of every shard
  std::vector<std::string> odd_names;  // skipped: not 2 to 20 upper-case letters or digits
};

// Errors: the transport's (kRetryable or kFatal, http_client.hpp); kRetryable for 5xx, 429 and 418
// (the IP is over its weight); kFatal for another status (a wrong BINANCE_REST_URL); kCorrupt for a
// body parse_exchange_info refuses. The message names the URL's host part and what was wrong.
Result<ShardSymbols> fetch_shard_symbols(HttpClient& http, const std::string& rest_url, const std::string& api_key,
                                         Shard shard);

}  // namespace mc
