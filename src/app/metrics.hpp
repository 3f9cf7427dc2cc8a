#pragma once
// Every module's counters in one place, owned by the application: what the metrics endpoint renders
// and systemd's status line reads. Each module is handed only its own struct.

#include "backfill/backfill_metrics.hpp"
#include "common/metrics.hpp"
#include "feed/feed_metrics.hpp"
#include "ledger/ledger_metrics.hpp"
#include "spool/spool_metrics.hpp"

namespace mc {

struct Metrics {
  RecordMetrics records;
  FeedMetrics feed;
  LedgerMetrics ledger;
  BackfillMetrics backfill;
  SpoolMetrics spool;
  UploadMetrics upload;
};

}  // namespace mc
