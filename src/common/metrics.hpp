#pragma once
// Counters an operator watches. One instance, owned by the application and passed by reference;
// every field is a relaxed atomic so any thread can bump it without a lock.

#include <atomic>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace mc {

using Counter = std::atomic<std::uint64_t>;

// One symbol's feed, updated by the network thread for every trade it routes.
struct SymbolMetrics {
  explicit SymbolMetrics(std::string name) : symbol(std::move(name)) {}
  const std::string symbol;
  Counter trades{0};                        // trade messages received (both connections of a switch)
  Counter bytes{0};                         // their payload bytes
  std::atomic<std::int64_t> last_trade_id{-1};  // the newest trade's data.t; -1 before the first
  std::atomic<std::int64_t> lag_us{0};      // receive time minus the exchange's event time (E), newest trade
};

struct Metrics {
  // feed
  Counter ws_connects{0};
  Counter ws_disconnects{0};
  Counter ws_messages{0};
  Counter ws_bytes{0};
  Counter ws_pings{0};
  // records
  Counter records_routed{0};
  Counter records_ignored{0};       // subscription replies and other non-data control messages
  Counter records_quarantined{0};
  Counter records_dropped{0};       // could not be queued or written: an alarm
  // trade ledger (the writer's record gate) and REST backfill
  Counter trade_id_gaps{0};         // forward jumps of a symbol's written trade id
  Counter trade_ids_missing{0};     // ids those jumps skipped (queued for backfill)
  Counter trade_ids_duplicate{0};   // trades not written because their id was written already
  Counter trade_ids_backfilled{0};  // missing ids written later (REST, or a late live message)
  Counter trade_ids_unrecoverable{0};  // missing ids the exchange says do not exist
  std::atomic<std::int64_t> trade_ids_pending{0};  // missing ids not yet filled nor given up
  Counter backfill_requests{0};     // historicalTrades requests sent
  Counter backfill_rate_limited{0};  // 429 and 418 answers
  Counter backfill_failures{0};     // failed requests (transport, 5xx, malformed body), retried
  // spool
  Counter parts_opened{0};
  Counter parts_sealed{0};
  Counter seal_failures{0};
  Counter write_errors{0};
  Counter bytes_written{0};
  std::atomic<std::int64_t> spool_bytes{0};
  // store
  Counter uploads_ok{0};
  Counter upload_failures{0};
  Counter bytes_uploaded{0};
  // per symbol, in configuration order; filled once (add_symbols) before any thread reads it
  std::deque<SymbolMetrics> symbols;  // a deque: its elements never move, atomics cannot

  void add_symbols(const std::vector<std::string>& names) {
    for (const std::string& name : names) symbols.emplace_back(name);
  }
};

inline void bump(Counter& counter, std::uint64_t by = 1) { counter.fetch_add(by, std::memory_order_relaxed); }

}  // namespace mc
