#pragma once
// Counters an operator watches. One instance, owned by the application and passed by reference;
// every field is a relaxed atomic so any thread can bump it without a lock.

#include <array>
#include <atomic>
#include <cstddef>
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

// Why records were dropped (each also counts in records_dropped).
enum class DropReason : std::size_t { kQueueFull, kWriteFailed, kUnknownRoute, kCount };
inline constexpr std::array<const char*, static_cast<std::size_t>(DropReason::kCount)> kDropReasonNames = {
    "queue_full", "write_failed", "unknown_route"};

// Why a connection was given up or replaced.
enum class ReconnectReason : std::size_t { kError, kIdle, kServerClose, kMaxAge, kServerShutdown, kCount };
inline constexpr std::array<const char*, static_cast<std::size_t>(ReconnectReason::kCount)> kReconnectReasonNames = {
    "error", "idle", "server_close", "max_age", "server_shutdown"};

// ErrorKind values, in ErrorKind order (status.hpp), for store errors by class.
inline constexpr std::size_t kErrorKinds = 5;
inline constexpr std::array<const char*, kErrorKinds> kErrorKindNames = {"retryable", "fatal", "corrupt", "no_space",
                                                                         "already_exists"};

struct Metrics {
  // feed
  Counter ws_connects{0};
  Counter ws_disconnects{0};
  Counter ws_messages{0};
  Counter ws_bytes{0};
  Counter ws_pings{0};
  Counter ws_messages_oversize{0};  // messages over the size limit, quarantined as their first bytes
  // records
  Counter records_routed{0};
  Counter records_ignored{0};       // subscription replies and other non-data control messages
  Counter records_quarantined{0};
  Counter records_dropped{0};       // could not be queued or written: an alarm
  std::array<Counter, static_cast<std::size_t>(DropReason::kCount)> records_dropped_by_reason{};
  std::array<Counter, static_cast<std::size_t>(ReconnectReason::kCount)> reconnects_by_reason{};
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
  Counter backfill_not_served{0};   // pages that did not serve ids known to exist yet (REST trailing), retried
  std::atomic<std::int64_t> backfill_overdue_gaps{0};  // symbols whose gap is pending past BACKFILL_ALARM_SECS
  Counter trade_ids_late{0};        // given-up trade ids that arrived after all, and were written
  // spool
  Counter parts_opened{0};
  Counter parts_sealed{0};
  Counter seal_failures{0};
  Counter write_errors{0};
  Counter bytes_written{0};
  Counter writer_fdatasyncs{0};  // the writer thread's fdatasyncs of part files, one file each
  Counter writer_syncfs{0};      // its syncfs calls, each for many part files at once
  std::atomic<std::int64_t> spool_bytes{0};
  std::atomic<std::int64_t> spool_files{0};             // parts and manifests in open/ and sealed/
  std::atomic<std::int64_t> spool_oldest_age_seconds{0};  // of the oldest of them; 0 when none
  // store
  Counter uploads_ok{0};
  Counter upload_failures{0};
  std::array<Counter, kErrorKinds> store_errors_by_class{};  // upload_failures by ErrorKind
  Counter bytes_uploaded{0};
  Counter upload_sha256_mismatches{0};  // sealed parts whose bytes differ from their manifest's sha256
  Counter parts_rejected{0};            // sealed pairs the uploader moved to rejected/
  Counter store_key_conflicts{0};       // a different object held a part's or manifest's key: alarm
  Counter upload_queue_refused{0};      // parts the full upload queue refused (offered again as it drains)
  // per symbol, in configuration order; filled once (add_symbols) before any thread reads it
  std::deque<SymbolMetrics> symbols;  // a deque: its elements never move, atomics cannot

  void add_symbols(const std::vector<std::string>& names) {
    for (const std::string& name : names) symbols.emplace_back(name);
  }
};

inline void bump(Counter& counter, std::uint64_t by = 1) { counter.fetch_add(by, std::memory_order_relaxed); }

inline void count_drop(Metrics& metrics, DropReason reason, std::uint64_t records = 1) {
  bump(metrics.records_dropped, records);
  bump(metrics.records_dropped_by_reason[static_cast<std::size_t>(reason)], records);
}

}  // namespace mc
