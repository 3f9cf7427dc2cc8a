#pragma once
// The trade ledger's counters: what it found missing, dropped as a repeat, and got back.

#include <atomic>
#include <cstdint>

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
};

}  // namespace mc
