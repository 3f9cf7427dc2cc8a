#pragma once
// The feed's handler: builds each message's record and hands it to the writer of its route.
// Trades go to their symbol's trade writer, bad input to a quarantine writer, control replies nowhere.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <spdlog/logger.h>

#include "common/clock.hpp"
#include "common/metrics.hpp"
#include "common/record.hpp"
#include "feed/feed_client.hpp"
#include "feed/log_limiter.hpp"
#include "feed/record_builder.hpp"

namespace mc {

// Every message ends in exactly one counter: records_routed (a trade the sink took),
// records_quarantined (a quarantine record the sink took), records_dropped (the sink refused it) or
// records_ignored (a control reply).
class RecordRouter final : public FeedHandler {
 public:
  // routes must be RouteTable(symbols). clock paces the rate-limited logs.
  RecordRouter(std::vector<std::string> symbols, RouteTable routes, RecordSink& sink, Metrics& metrics,
               const Clock& clock);

  void on_message(std::string_view payload, bool is_text, std::int64_t recv_us) override;

  // The last trade id routed per symbol (index as in the symbol list); -1 before the first trade.
  // Read on the network thread only.
  const std::vector<std::int64_t>& last_trade_ids() const { return last_trade_ids_; }
  // Forward jumps of the trade id seen so far (t > last + 1).
  std::uint64_t gaps_seen() const { return gaps_seen_; }

 private:
  void track_trade_id(std::size_t symbol_index, std::int64_t trade_id);
  void log_quarantine(const MessageInfo& info, std::string_view payload, bool is_text);
  void push(std::uint32_t route, std::int64_t recv_us, std::string&& line, Counter& on_success);

  RecordBuilder builder_;
  RouteTable routes_;
  RecordSink& sink_;
  Metrics& metrics_;
  const Clock& clock_;
  std::shared_ptr<spdlog::logger> logger_;
  std::vector<std::int64_t> last_trade_ids_;
  std::uint64_t gaps_seen_ = 0;
  LogLimiter drop_log_;
  LogLimiter quarantine_log_;
  std::vector<LogLimiter> gap_logs_;  // index as in the symbol list
};

}  // namespace mc
