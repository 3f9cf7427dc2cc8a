#pragma once
// One page of Binance's GET /api/v3/aggTrades, by time: the request, and the answer classified once
// (as historicalTrades' is). The audit asks it which trade ids the exchange published at a range's
// ends (audit/exchange_ids.hpp): an aggregate trade's `f` is the first trade id it holds, and every
// trade of one aggregate has the aggregate's time `T`.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backfill/historical_trades.hpp"
#include "common/status.hpp"
#include "net/http_client.hpp"

namespace mc {

// The request weight Binance spot charges for aggTrades (4 since 2023; it was 1, then 2).
inline constexpr std::uint32_t kAggTradesWeight = 4;
inline constexpr int kMaxAggTradesLimit = 1000;

struct AggTrade {
  std::int64_t agg_id = 0;    // a
  std::int64_t first_id = 0;  // f: its first trade id
  std::int64_t last_id = 0;   // l: its last trade id, >= f
  std::int64_t time_ms = 0;   // T
};

struct AggTradesAnswer {
  TradesAnswerKind kind = TradesAnswerKind::kPage;
  std::vector<AggTrade> trades;              // kPage only, ascending
  std::optional<std::uint32_t> used_weight;  // X-MBX-USED-WEIGHT-1M, when present and numeric
  std::chrono::seconds retry_after{0};       // kRateLimited and kBanned
};

// Used from one thread (the HttpClient it borrows is not thread-safe).
class AggTradesClient {
 public:
  // base_url: BINANCE_REST_URL (a trailing '/' is ignored); api_key as for HistoricalTradesClient.
  AggTradesClient(std::string base_url, std::string api_key, HttpClient& http);

  // start_time_ms set: the first `limit` aggregates with T >= start_time_ms (Binance looks no further
  // than a window after startTime: an empty page does not prove that no later trade exists).
  // Unset: the newest `limit` aggregates. Errors as HistoricalTradesClient::fetch's: kRetryable for
  // transport failures and 5xx, kCorrupt for a malformed 200 body, kFatal for any other status.
  Result<AggTradesAnswer> fetch(std::string_view symbol, std::optional<std::int64_t> start_time_ms, int limit);

 private:
  std::string base_url_;
  std::string api_key_;
  HttpClient& http_;
};

// Exposed for tests: parses a 200 body. Rows must be objects with integer a, f, l, T (f <= l),
// ascending by a, at most limit of them, and none before start_time_ms when it is set.
Result<std::vector<AggTrade>> parse_agg_trades(std::string_view body, std::optional<std::int64_t> start_time_ms,
                                               int limit);

}  // namespace mc
