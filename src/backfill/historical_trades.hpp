#pragma once
// One page of Binance's GET /api/v3/historicalTrades: the request, and the answer classified once.
// Prices and quantities are copied into output lines verbatim, so every row is validated strictly here
// and a page with one bad row is refused as a whole: the caller never sees a partial page.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.hpp"
#include "net/http_client.hpp"

namespace mc {

// The request weight Binance charges for historicalTrades, whatever the limit.
inline constexpr std::uint32_t kHistoricalTradesWeight = 25;
// The largest page Binance serves.
inline constexpr int kMaxHistoricalTradesLimit = 1000;
// Used when a 429/418 carries no usable Retry-After: long enough to respect any ban we cannot read.
inline constexpr std::chrono::seconds kDefaultRetryAfter{60};

struct RestTrade {
  std::int64_t id = 0;
  std::string price;  // a decimal number string, as the exchange wrote it ("4.00000100")
  std::string qty;
  std::int64_t time_ms = 0;
  bool is_buyer_maker = false;
  bool is_best_match = false;
};

enum class TradesAnswerKind {
  kPage,          // 200: trades, ascending by id, every id >= the requested fromId
  kRateLimited,   // 429: back off for retry_after
  kBanned,        // 418: the IP is banned for retry_after
  kNoSuchSymbol,  // 400 with code -1121
};

struct TradesAnswer {
  TradesAnswerKind kind = TradesAnswerKind::kPage;
  std::vector<RestTrade> trades;             // kPage only; empty when no trade at or after fromId exists
  std::optional<std::uint32_t> used_weight;  // X-MBX-USED-WEIGHT-1M, on any kind, when present and numeric
  std::chrono::seconds retry_after{0};       // kRateLimited and kBanned
};

// Used from one thread (the HttpClient it borrows is not thread-safe).
class HistoricalTradesClient {
 public:
  // base_url: "https://api.binance.com" (a trailing '/' is ignored). api_key: sent as X-MBX-APIKEY
  // when not empty; it never appears in a Status message or a log line.
  HistoricalTradesClient(std::string base_url, std::string api_key, HttpClient& http);

  // symbol: upper case [A-Z0-9]; from_id >= 0; 1 <= limit <= kMaxHistoricalTradesLimit (else kFatal).
  // Errors: kRetryable for transport failures and 5xx; kCorrupt for a malformed 200 body (the message
  // names the symbol, fromId, the row and what was wrong); kFatal for any other status (401, 403, a
  // 400 other than -1121), with the exchange's code and msg when it sent them.
  Result<TradesAnswer> fetch(std::string_view symbol, std::int64_t from_id, int limit);

 private:
  std::string base_url_;
  std::string api_key_;
  HttpClient& http_;
};

// Exposed for tests: parses a 200 body of historicalTrades; the answer must start at or after from_id,
// hold at most limit rows and be strictly ascending.
Result<std::vector<RestTrade>> parse_historical_trades(std::string_view body, std::int64_t from_id, int limit);

// Exposed for tests: the delay a Retry-After value asks for. Accepts delay-seconds and an IMF-fixdate
// (measured against the response's Date header, so both instants come from the server's clock).
// Anything else, or no header: kDefaultRetryAfter.
std::chrono::seconds parse_retry_after(const HttpResponse& response);

// What every Binance trades endpoint (historicalTrades, aggTrades) answers alike: the used weight,
// and for any status but 200 a rate limit, a ban or an unknown symbol as a kind, or an error naming
// `what` (retryable for 5xx). kind is kPage for a 200, whose body the caller parses.
struct TradesAnswerHead {
  TradesAnswerKind kind = TradesAnswerKind::kPage;
  std::optional<std::uint32_t> used_weight;
  std::chrono::seconds retry_after{0};
};
Result<TradesAnswerHead> read_trades_answer_head(const HttpResponse& response, const std::string& what);

}  // namespace mc
