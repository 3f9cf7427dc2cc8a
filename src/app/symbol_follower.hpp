#pragma once
// SYMBOL=ALL at run time: every SYMBOLS_REFRESH_SECS the follower reads the exchange's list
// (fetch_shard_symbols) and brings the collector to this shard's TRADING symbols (docs/FLEET.md):
//
//   a new listing   gets the next symbol index, then, in this order, its feed metrics, its ledger
//                   entry, its writers, its backfill entry, and every router; last the connection
//                   with the fewest streams SUBSCRIBEs it, so each stage knows it before its first trade
//   a relisting     (a symbol followed before in this run) keeps its index and is subscribed again
//   a delisting     (gone from the list, or not TRADING) is UNSUBSCRIBEd; its writers close their open
//                   parts (reason "delisted"), which are sealed and stored as usual; the ledger drops its
//                   pending ids (no gap alarm), the backfill what it had not fetched
//
// Indexes are never reused, so every route number keeps its meaning for the life of the process. A
// read that fails changes nothing: the current set stays, the failure is logged and counted, and the
// next refresh tries again.

#include <condition_variable>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/logger.h>

#include "app/feed_connections.hpp"
#include "backfill/backfill_worker.hpp"
#include "config/config.hpp"
#include "feed/feed_metrics.hpp"
#include "ledger/trade_ledger.hpp"
#include "net/http_client.hpp"
#include "spool/spool_writer.hpp"

namespace mc {

// What a change of the symbol set reaches. backfill is null with BACKFILL_ENABLED=false.
struct SymbolStages {
  FeedMetrics& metrics;
  TradeLedger& ledger;
  SpoolWriter& writer;
  BackfillWorker* backfill;
  FeedConnections& feeds;
};

class SymbolFollower {
 public:
  // symbols: those the collector started with (config.symbols), all subscribed. Starts the thread
  // (mc-symbols), whose first read comes one refresh interval after this call.
  SymbolFollower(const Config& config, SymbolStages stages, HttpClientFactory make_client);
  ~SymbolFollower();  // stop()
  SymbolFollower(const SymbolFollower&) = delete;
  SymbolFollower& operator=(const SymbolFollower&) = delete;

  // Asks the thread to end, without waiting: a list read in flight cannot be cancelled and must not
  // eat the shutdown's drain budget. A change it still applies reaches stages that are stopping,
  // where it is harmless.
  void request_stop() { thread_.request_stop(); }
  // request_stop(), then joins the thread (a read in flight ends within its 30 s timeout). Idempotent.
  void stop();

 private:
  void run(const std::stop_token& stop);
  void refresh(HttpClient& http);
  // Brings the followed set to `wanted`: this shard's TRADING symbols.
  void apply(const std::vector<std::string>& wanted);
  void list(const std::string& symbol);
  void delist(std::size_t index);

  const Config& config_;
  SymbolStages stages_;
  HttpClientFactory make_client_;
  std::shared_ptr<spdlog::logger> log_;
  // The thread's only (after construction): by symbol index, the name and whether it is followed.
  std::vector<std::string> names_;
  std::vector<bool> followed_;
  std::map<std::string, std::size_t, std::less<>> index_of_;
  std::mutex mutex_;
  std::condition_variable_any wake_;  // only a stop request wakes it early
  std::jthread thread_;  // last: starts after everything it uses exists
};

}  // namespace mc
