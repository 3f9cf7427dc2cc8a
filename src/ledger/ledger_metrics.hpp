#pragma once
// The trade ledger's counters: what it found missing, dropped as a repeat, and got back.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
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

  // trade_id_gaps per symbol, by symbol index: which symbol's stream is losing trades. The list only
  // grows (SYMBOL=ALL adds listings at run time), under the lock; a deque, because atomics cannot move.
  struct SymbolGaps {
    explicit SymbolGaps(std::string name) : symbol(std::move(name)) {}
    const std::string symbol;
    Counter gaps{0};
  };

  void add_symbols(const std::vector<std::string>& names) {
    const std::lock_guard lock(gaps_mutex_);
    for (const std::string& name : names) gaps_by_symbol_.emplace_back(name);
  }
  // A gap in symbol i's trade ids: counted in the total and, once add_symbols named i, per symbol.
  void count_gap(std::size_t symbol) {
    bump(trade_id_gaps);
    const std::lock_guard lock(gaps_mutex_);
    if (symbol < gaps_by_symbol_.size()) bump(gaps_by_symbol_[symbol].gaps);
  }
  template <typename Visit>
  void for_each_symbol_gaps(const Visit& visit) const {
    const std::lock_guard lock(gaps_mutex_);
    for (const SymbolGaps& symbol : gaps_by_symbol_) visit(symbol);
  }

 private:
  mutable std::mutex gaps_mutex_;
  std::deque<SymbolGaps> gaps_by_symbol_;
};

}  // namespace mc
