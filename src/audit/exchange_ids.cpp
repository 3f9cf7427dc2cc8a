#include "audit/exchange_ids.hpp"

#include <fmt/format.h>

namespace mc {

ExchangeIds::ExchangeIds(AggTradesClient& client, const Clock& clock, SleepFor sleep, std::uint32_t weight_per_minute)
    : client_(client), clock_(clock), sleep_(std::move(sleep)), budget_(weight_per_minute) {}

Result<std::vector<AggTrade>> ExchangeIds::ask(std::string_view symbol, std::optional<std::int64_t> start_time_ms) {
  std::chrono::seconds backoff{1};
  for (int attempt = 1;; ++attempt) {
    const std::chrono::microseconds wait = budget_.wait_before(kAggTradesWeight, clock_.system_now_us());
    if (wait > std::chrono::microseconds::zero()) sleep_(wait);
    budget_.on_sent(kAggTradesWeight, clock_.system_now_us());
    ++requests_;
    Result<AggTradesAnswer> answer = client_.fetch(symbol, start_time_ms, 1);
    if (!answer) {
      if (answer.status().kind() != ErrorKind::kRetryable || attempt >= kMaxExchangeAttempts) {
        return answer.status().with_context(fmt::format("exchange, after {} request(s)", attempt));
      }
      sleep_(backoff);
      backoff *= 2;
      continue;
    }
    const std::int64_t now_us = clock_.system_now_us();
    if (answer->used_weight) budget_.on_used_weight(*answer->used_weight, now_us);
    switch (answer->kind) {
      case TradesAnswerKind::kPage:
        return std::move(answer->trades);
      case TradesAnswerKind::kNoSuchSymbol:
        return Status::fatal(fmt::format("exchange: symbol {} is unknown to the exchange (code -1121)", symbol));
      case TradesAnswerKind::kRateLimited:
      case TradesAnswerKind::kBanned:
        break;
    }
    const char* what = answer->kind == TradesAnswerKind::kBanned ? "HTTP 418 (IP banned)" : "HTTP 429 (rate limited)";
    if (answer->retry_after > kMaxRetryAfterWait || attempt >= kMaxExchangeAttempts) {
      return Status::retryable(fmt::format("exchange: aggTrades symbol={}: {}, Retry-After {} s, after {} request(s)",
                                           symbol, what, answer->retry_after.count(), attempt));
    }
    budget_.on_retry_after(answer->retry_after, now_us);
  }
}

Result<IdsAt> ExchangeIds::ids_at(std::string_view symbol, std::int64_t t_ms) {
  Result<std::vector<AggTrade>> first = ask(symbol, t_ms);
  if (!first) return first.status();
  if (!first->empty()) return IdsAt{.first_at_or_after = first->front().first_id};
  Result<std::vector<AggTrade>> newest = ask(symbol, std::nullopt);
  if (!newest) return newest.status();
  if (newest->empty()) return IdsAt{};  // the symbol has no trade at all
  if (newest->front().time_ms < t_ms) return IdsAt{.newest = newest->front().last_id};
  // A trade at or after t exists but lies beyond the window Binance looked at: step on.
  for (int hour = 1; hour <= kMaxQuietHours; ++hour) {
    const std::int64_t start = t_ms + hour * kAggTradesWindow.count();
    if (start > newest->front().time_ms) break;
    Result<std::vector<AggTrade>> later = ask(symbol, start);
    if (!later) return later.status();
    if (!later->empty()) return IdsAt{.first_at_or_after = later->front().first_id};
  }
  return Status::corrupt(fmt::format("exchange: aggTrades symbol={}: no trade found at or after {} ms (looked {} h "
                                     "on) although the newest, id {}, is at {} ms",
                                     symbol, t_ms, kMaxQuietHours, newest->front().last_id, newest->front().time_ms));
}

Result<std::optional<IdRange>> ExchangeIds::published(std::string_view symbol, std::int64_t from_ms,
                                                      std::int64_t to_ms) {
  Result<IdsAt> from = ids_at(symbol, from_ms);
  if (!from) return from.status();
  if (!from->first_at_or_after) return std::optional<IdRange>{};  // nothing at or after from
  Result<IdsAt> to = ids_at(symbol, to_ms);
  if (!to) return to.status();
  return published_range(*from, *to);
}

ExchangeTruth ask_exchange(ExchangeIds& exchange, const std::vector<std::string>& symbols, std::int64_t from_ms,
                           std::int64_t to_ms) {
  ExchangeTruth truth;
  std::string failure;
  for (const std::string& symbol : symbols) {
    if (!failure.empty()) {
      truth[symbol] = {.failure = fmt::format("not asked after an earlier failure ({})", failure)};
      continue;
    }
    Result<std::optional<IdRange>> ids = exchange.published(symbol, from_ms, to_ms);
    if (ids) {
      truth[symbol] = {.ids = *ids};
    } else {
      truth[symbol] = {.failure = ids.status().message()};
      // An unknown symbol or a malformed answer is this symbol's; a transport error, a 5xx or a
      // rate limit that outlasted the retries is the exchange's.
      if (ids.status().kind() == ErrorKind::kRetryable) failure = ids.status().message();
    }
  }
  return truth;
}

}  // namespace mc
