#pragma once
// The feed's handler: builds each message's record and hands it to the writer of its route.
// Trades go to their symbol's trade writer, bad input to a quarantine writer, control replies nowhere.
// Ids are judged later, by the trade ledger on the writer thread, where both connections of a
// make-before-break overlap and the REST backfill meet.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <spdlog/logger.h>

#include "common/clock.hpp"
#include "common/metrics.hpp"
#include "feed/feed_metrics.hpp"
#include "common/record.hpp"
#include "feed/feed_client.hpp"
#include "common/log_limiter.hpp"
#include "feed/record_builder.hpp"
#include "feed/symbol_groups.hpp"

namespace mc {

// Every message ends in exactly one counter: records_routed (a trade the sink took),
// records_quarantined (a quarantine record the sink took), records_dropped (the sink refused it) or
// records_ignored (a control reply). Records go to the sink in one batch per transport read
// (on_read_end; the feed calls it after every read, also one that ends the connection), so a batch
// holds at most one read's messages.
//
// The per-symbol metrics (trades, bytes, last id, lag) are added once per read too, for the symbols
// the read had trades of, so that a message costs no atomic operation on the network thread.
//
// One router per connection: it is used from that connection's thread only (its parser and log
// limiters are not shared). What it shares with the other connections' routers is safe from any
// thread: the sink (a locked queue) and the metrics (relaxed atomics).
class RecordRouter final : public FeedHandler {
 public:
  // routes must be RouteTable(symbols). carried: the symbols whose streams this router's connection
  // subscribes, in the order of its stream list; MessageSeen::stream is the index in that list. A
  // trade of another configured symbol is still stored, but says nothing about the connection's
  // streams. clock paces the rate-limited logs.
  RecordRouter(std::vector<std::string> symbols, RouteTable routes, RecordSink& sink, FeedMetrics& feed_metrics,
               RecordMetrics& record_metrics, const Clock& clock, SymbolGroup carried);

  // Builds the message's line into the batch of the current read.
  MessageSeen on_message(std::string_view payload, bool is_text, std::int64_t recv_us) override;
  // Builds its oversize quarantine line into the batch of the current read.
  void on_oversize(std::string_view prefix, bool is_text, std::uint64_t message_bytes, std::int64_t recv_us) override;
  // Hands the read's batch to the sink and adds its trades to the symbols' metrics.
  void on_read_end() override;

  // SYMBOL=ALL, on the connection's thread, before any trade of it can arrive: a new listing, whose
  // index is the count of symbols so far (every router and the writer number listings alike). Its
  // feed metrics are added first, or its trades are counted from the first read after they are.
  void add_symbol(const std::string& symbol);
  // The symbol's stream is now stream `position` of this router's connection (FeedClient::add_streams).
  void carry(std::size_t symbol_index, std::size_t position);

 private:
  // What the current read's trades add to one symbol's metrics.
  struct SymbolTally {
    std::uint64_t trades = 0;
    std::uint64_t bytes = 0;
    std::int64_t last_trade_id = 0;
    std::int64_t lag_us = 0;
  };

  void log_quarantine(const MessageInfo& info, std::string_view payload, bool is_text);
  void commit_quarantine(const MessageInfo& info, std::int64_t recv_us, std::size_t line_start);
  std::string_view symbol_name(const MessageInfo& info) const;
  void add_symbol_metrics();

  RecordBuilder builder_;
  RouteTable routes_;
  // By symbol index: its stream's position on this connection, when the connection carries it.
  std::vector<std::optional<std::size_t>> positions_;
  RecordSink& sink_;
  FeedMetrics& feed_metrics_;
  RecordMetrics& record_metrics_;
  const Clock& clock_;
  std::shared_ptr<spdlog::logger> logger_;
  LogLimiter drop_log_;
  LogLimiter quarantine_log_;
  LogLimiter oversize_log_;  // its own: a flood of bad JSON must not hide the rarer oversize line
  RecordBatch batch_;             // the current read's records
  std::uint64_t batch_trades_ = 0;  // of which trades; the rest are quarantine records
  std::vector<SymbolTally> tallies_;        // by symbol index, for the current read
  std::vector<SymbolMetrics*> symbol_metrics_;  // by symbol index; null while not in the feed metrics
  std::vector<std::size_t> tallied_;        // the symbols with a non-empty tally
};

}  // namespace mc
