#pragma once
// Answers historicalTrades from a generated history (ids [first_id, last_id], contiguous, the same for
// every symbol it lists), the way Binance does, for the loopback HTTP server. Tests can put scripted answers in front of it and read
// when each request arrived.

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "../net/loopback_http_server.hpp"
#include "backfill/historical_trades.hpp"

namespace mc::testing {

// The trade the generated history holds at this id.
RestTrade history_trade(std::int64_t id);

struct TradesQuery {
  std::string symbol;
  std::int64_t from_id = -1;
  int limit = 500;
};

// Parses "/api/v3/historicalTrades?symbol=X&fromId=N&limit=L"; empty for any other target.
std::optional<TradesQuery> parse_trades_query(const std::string& target);

class FakeExchange {
 public:
  FakeExchange(std::vector<std::string> symbols, std::int64_t first_id, std::int64_t last_id)
      : symbols_(std::move(symbols)), first_id_(first_id), last_id_(last_id) {}

  // The history grows to last_id: what a REST view trailing the stream does as it catches up.
  void extend_to(std::int64_t last_id);
  // Ids [first, last] never existed: the history skips them, as the exchange's does.
  void make_absent(std::int64_t first, std::int64_t last);
  // The next requests are answered with these, in order, before the history answers again.
  void script(ScriptedResponse response);
  ScriptedResponse answer(const ReceivedRequest& request);
  // Arrival time of each request, in order.
  std::vector<std::chrono::steady_clock::time_point> arrivals() const;

 private:
  std::vector<std::string> symbols_;
  std::int64_t first_id_;
  std::int64_t last_id_;
  mutable std::mutex mutex_;
  std::vector<std::pair<std::int64_t, std::int64_t>> absent_;
  std::deque<ScriptedResponse> scripted_;
  std::vector<std::chrono::steady_clock::time_point> arrivals_;
};

}  // namespace mc::testing
