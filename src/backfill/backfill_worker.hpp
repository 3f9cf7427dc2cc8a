#pragma once
// Fills trade-id gaps over REST on a thread of its own. The feed reports a gap with request() (never
// blocks); the worker pages through historicalTrades, turns each trade into a "src":"rest" line and
// pushes it into the same sink as the live feed. Symbols take turns page by page, so one big gap does
// not starve another.
//
// Every requested range is bounded above by a trade that exists (the live trade after a gap, or the
// ids around a disk-full drop), so ids are given up only when the exchange serves ids on both sides of
// them and not them: a page starting above the requested fromId (a trailing REST view lacks only its
// newest ids, never ids below ones it serves), holes inside a page, a page that runs past the range
// with ids missing before it, or -1121 "Invalid symbol". An empty page, or a short one that stops
// inside the range, means "not served yet" (Binance's REST can trail its stream): the range stays
// pending and is asked again after a capped backoff, for as long as it takes; a gap still pending
// after BackfillOptions::alarm_after raises the overdue gauge and a warn line. Errors (transport, 5xx,
// malformed bodies, other 4xx) are retried with a capped backoff, forever as well.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/logger.h>

#include "backfill/historical_trades.hpp"
#include "backfill/pending_ranges.hpp"
#include "backfill/weight_budget.hpp"
#include "common/clock.hpp"
#include "backfill/backfill_metrics.hpp"
#include "common/metrics.hpp"
#include "common/record.hpp"
#include "common/log_limiter.hpp"
#include "net/http_client.hpp"

namespace mc {

// Pending ranges kept per symbol; past it the closest ranges are joined (see PendingRanges).
inline constexpr std::size_t kMaxPendingRangesPerSymbol = 1024;
// A page that does not yet serve ids known to exist is asked again after this delay, doubling per
// such answer in a row, capped: a trailing REST view catches up within seconds to minutes.
inline constexpr std::chrono::seconds kFirstNotServedDelay{2};
inline constexpr std::chrono::seconds kMaxNotServedDelay{15};
// When the sink refuses a record (its queue is full), the rest of the range waits this long.
inline constexpr std::chrono::seconds kSinkRetryDelay{1};
// How often the worker looks again whether the spool can take records (BackfillOptions::may_write).
inline constexpr std::chrono::seconds kMayWriteRecheck{1};
// Backoff after an error: 1 s, doubling, capped.
inline constexpr std::chrono::seconds kFirstErrorBackoff{1};
inline constexpr std::chrono::seconds kMaxErrorBackoff{60};

struct BackfillOptions {
  std::string base_url;  // "https://api.binance.com"
  std::string api_key;   // optional X-MBX-APIKEY; never logged
  std::string ca_file;   // extra trust anchor for the default client; empty: system store
  std::uint32_t weight_per_minute = 2000;
  // A gap pending longer than this counts in the overdue gauge and is logged at warn (again every
  // alarm_after while it stays pending).
  std::chrono::seconds alarm_after{600};
  // Whether the records pushed now can be written (the spool's disk has room); empty: always. While
  // it says no the worker fetches nothing: what it would fetch would only be dropped again.
  std::function<bool()> may_write;
};

class BackfillListener {
 public:
  virtual ~BackfillListener() = default;
  // Called on the worker thread: ids [from, to] the exchange says do not exist; they are given up.
  virtual void on_unrecoverable(std::size_t symbol_index, std::int64_t from, std::int64_t to) = 0;
};

class BackfillWorker {
 public:
  // symbols: upper case, index as in routes. make_client: called once, on the worker thread; empty:
  // a libcurl client verifying TLS against the system store plus options.ca_file. The clock gives
  // recv_us and the weight budget's minutes; waits are real time.
  BackfillWorker(BackfillOptions options, std::vector<std::string> symbols, const RouteTable& routes,
                 RecordSink& sink, HttpClientFactory make_client, const Clock& clock, BackfillMetrics& metrics,
                 RecordMetrics& record_metrics, BackfillListener& listener);
  ~BackfillWorker();
  BackfillWorker(const BackfillWorker&) = delete;
  BackfillWorker& operator=(const BackfillWorker&) = delete;

  // Asks for ids [from, to] of a symbol. Thread-safe, never blocks on the network; merged with what is
  // pending. Beyond kMaxPendingRangesPerSymbol ranges the closest two are joined (logged).
  void request(std::size_t symbol_index, std::int64_t from, std::int64_t to);
  // Stops the thread and joins it; a wait (budget, Retry-After, backoff) ends at once, a request in
  // flight within its 10 s timeout. Idempotent; call from one thread.
  void stop();
  // Ids asked for and neither pushed nor given up yet.
  std::size_t pending_ids() const;

  // SYMBOL=ALL, any thread: a new listing, whose index is the count of symbols so far.
  void add_symbol(std::string symbol);
  // SYMBOL=ALL, any thread: a delisted symbol's pending ids are dropped (the exchange will not serve a
  // symbol it no longer lists); a page in flight is still written.
  void forget(std::size_t symbol_index);

 private:
  // A gap being filled, for its log line.
  struct Fill {
    IdRange range;
    std::chrono::steady_clock::time_point started;
    int pages = 0;
    std::uint64_t ids = 0;
    std::uint64_t lost = 0;
  };
  // Worker-thread state of one symbol.
  struct SymbolState {
    std::chrono::steady_clock::time_point not_before{};
    int not_served = 0;  // answers in a row that did not serve ids of the range yet
    std::optional<Fill> fill;
    std::chrono::steady_clock::time_point next_alarm{};  // while the fill is overdue: when to warn again
    bool overdue = false;
  };

  void run(const std::stop_token& stop);
  // The next symbol with pending ids whose pause is over, round-robin; waits while there is none.
  std::optional<std::pair<std::size_t, IdRange>> next_job(const std::stop_token& stop);
  // Waits out the error backoff and the weight budget. False when stopped.
  bool wait_for_budget(const std::stop_token& stop);
  bool sleep_for(const std::stop_token& stop, std::chrono::steady_clock::duration duration);
  void fetch_page(HistoricalTradesClient& api, std::size_t index, IdRange range);
  void on_page(std::size_t index, IdRange range, int limit, const std::vector<RestTrade>& trades, std::int64_t recv_us);
  // Keeps the rest of the range pending and asks again after the not-served backoff.
  void not_served_yet(std::size_t index, IdRange range, std::int64_t served_to);
  // Raises (or clears) the overdue alarm of every symbol whose fill passed alarm_after.
  void check_overdue();
  void on_error(std::size_t index, const Status& status);
  void give_up_symbol(std::size_t index);
  // Settles [range.from, done_to], reports lost ranges and closes the fill when its range is done.
  void settle(std::size_t index, IdRange range, std::int64_t done_to, const std::vector<IdRange>& lost);

  const BackfillOptions options_;
  std::vector<std::string> symbols_;  // worker thread; catches up with names_ in next_job
  const RouteTable& routes_;
  RecordSink& sink_;
  RecordBatch batch_;  // the record being pushed; kept for its buffers
  HttpClientFactory make_client_;
  const Clock& clock_;
  BackfillMetrics& metrics_;
  RecordMetrics& record_metrics_;
  BackfillListener& listener_;
  std::shared_ptr<spdlog::logger> logger_;

  // Worker thread only.
  WeightBudget budget_;
  std::vector<SymbolState> states_;
  std::size_t cursor_ = 0;  // round-robin position
  int failures_ = 0;        // errors in a row, for the backoff
  std::chrono::steady_clock::time_point retry_at_{};
  LogLimiter refused_log_{std::chrono::seconds(10)};
  LogLimiter paused_log_{std::chrono::seconds(30)};

  mutable std::mutex mutex_;
  std::condition_variable_any wake_;
  std::vector<PendingRanges> pending_;   // guarded by mutex_
  std::vector<std::string> names_;       // guarded by mutex_: every symbol, listings included
  std::uint64_t requests_seen_ = 0;      // guarded by mutex_; bumped by request() to wake the worker
  LogLimiter bound_log_{std::chrono::seconds(10)};  // guarded by mutex_

  std::jthread thread_;  // last: starts after everything above exists
};

}  // namespace mc
