#pragma once
// The trade ledger's counters: what it found missing, dropped as a repeat, and got back.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "common/metrics.hpp"

namespace mc {

struct LedgerMetrics {
  Counter trade_id_gaps{0};         // forward jumps of a symbol's written trade id
  Counter trade_ids_missing{0};     // ids those jumps skipped (queued for backfill)
  Counter trade_ids_duplicate{0};   // trades not written because their id was written already
  Counter trade_ids_backfilled{0};  // missing ids written later (REST, or a late live message)
  Counter trade_ids_unrecoverable{0};  // missing ids the exchange says do not exist
  Counter trade_ids_late{0};        // given-up trade ids that arrived after all, and were written
  std::atomic<std::int64_t> trade_ids_pending{0};  // missing ids not yet filled nor given up

  // trade_id_gaps per symbol, in configuration order: which symbol's stream is losing trades. Filled
  // once (add_symbols) before any thread reads it; a deque, because atomics cannot move.
  struct SymbolGaps {
    explicit SymbolGaps(std::string name) : symbol(std::move(name)) {}
    const std::string symbol;
    Counter gaps{0};
  };
  std::deque<SymbolGaps> gaps_by_symbol;

  void add_symbols(const std::vector<std::string>& names) {
    for (const std::string& name : names) gaps_by_symbol.emplace_back(name);
  }
  // A gap in symbol i's trade ids: counted in the total and, once add_symbols named i, per symbol.
  void count_gap(std::size_t symbol) {
    bump(trade_id_gaps);
    if (symbol < gaps_by_symbol.size()) bump(gaps_by_symbol[symbol].gaps);
  }
};

}  // namespace mc
