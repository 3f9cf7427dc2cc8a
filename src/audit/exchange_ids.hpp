#pragma once
// Asks the exchange which trade ids it published in a time range (exchange_check.hpp), over
// GET /api/v3/aggTrades?startTime=t&limit=1 (backfill/agg_trades.hpp): weight-budgeted like the
// backfill (backfill/weight_budget.hpp), waiting out 429/418 Retry-After, retrying transport errors
// and 5xx a few times. Two or three requests per symbol: the first trade at or after `from`, the
// same at `to`, and the newest trade when there is none at or after an instant.
//
// Binance looks at most an hour past startTime, so an empty page is not proof that no later trade
// exists: when the newest trade is at or after t, the audit steps on an hour at a time (a symbol
// quiet for hours), up to kMaxQuietHours.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audit/exchange_check.hpp"
#include "backfill/agg_trades.hpp"
#include "backfill/weight_budget.hpp"
#include "common/clock.hpp"
#include "common/status.hpp"

namespace mc {

// How far Binance looks past startTime for aggregate trades.
inline constexpr std::chrono::milliseconds kAggTradesWindow{3'600'000};
// A symbol without a trade for this long after an instant, yet with newer trades, is refused: the
// audit would spend a request per hour of silence.
inline constexpr int kMaxQuietHours = 48;
// Transport errors and 5xx: this many requests in all, one second apart, doubling.
inline constexpr int kMaxExchangeAttempts = 4;
// A 429/418 asking to wait longer than this fails the audit instead (an IP ban lasts minutes to days).
inline constexpr std::chrono::seconds kMaxRetryAfterWait{120};

// Waits for a duration; the audit sleeps, tests move a fake clock.
using SleepFor = std::function<void(std::chrono::microseconds)>;

// Used from one thread.
class ExchangeIds {
 public:
  // weight_per_minute: what the audit may spend per UTC minute (BACKFILL_WEIGHT_PER_MIN).
  ExchangeIds(AggTradesClient& client, const Clock& clock, SleepFor sleep, std::uint32_t weight_per_minute);

  // The first trade id at or after t_ms, or the newest id when there is none. Errors name the
  // symbol, the request and what went wrong.
  Result<IdsAt> ids_at(std::string_view symbol, std::int64_t t_ms);
  // The ids published in [from_ms, to_ms); nullopt: none.
  Result<std::optional<IdRange>> published(std::string_view symbol, std::int64_t from_ms, std::int64_t to_ms);

  std::uint64_t requests() const { return requests_; }

 private:
  // One page, after the budget and any Retry-After allow it; retries as the file comment says.
  Result<std::vector<AggTrade>> ask(std::string_view symbol, std::optional<std::int64_t> start_time_ms);

  AggTradesClient& client_;
  const Clock& clock_;
  SleepFor sleep_;
  WeightBudget budget_;
  std::uint64_t requests_ = 0;
};

// Asks for every symbol in turn. After a failure that is the exchange's (transport, 5xx, a rate limit
// outlasting the retries) it is not asked again: the remaining symbols get that failure, so an
// unreachable exchange costs its retries once, not once per symbol.
ExchangeTruth ask_exchange(ExchangeIds& exchange, const std::vector<std::string>& symbols, std::int64_t from_ms,
                           std::int64_t to_ms);

}  // namespace mc
