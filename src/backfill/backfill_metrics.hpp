#pragma once
// The REST backfill's counters: its requests and how the exchange answered them.

#include <atomic>
#include <cstdint>

#include "common/metrics.hpp"

namespace mc {

struct BackfillMetrics {
  Counter backfill_requests{0};      // historicalTrades requests sent
  Counter backfill_rate_limited{0};  // 429 and 418 answers
  Counter backfill_failures{0};      // failed requests (transport, 5xx, malformed body), retried
  Counter backfill_not_served{0};    // pages that did not serve ids known to exist yet (REST trailing), retried
  std::atomic<std::int64_t> backfill_overdue_gaps{0};  // symbols whose gap is pending past BACKFILL_ALARM_SECS
};

}  // namespace mc
