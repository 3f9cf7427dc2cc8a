#pragma once
// What GET /healthz and GET /readyz answer. Built from signals the collector already has, sampled on
// the main thread's 5 s tick: the tick itself, the feed event loops' heartbeats (the test that also
// withholds the systemd watchdog ping), the uploads_ok counter, and the spool-size alarm
// (SPOOL_MAX_BYTES); sampled counters are known to have moved to within a tick. The ws_messages
// counter is read at each sample and again at each ready(): a readiness probe in the seconds after
// start must see the first message, not wait for the next tick.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "common/metrics.hpp"

namespace mc {

// How long the store may go without accepting a PUT while the spool is over its alarm before the
// collector stops reporting ready: ten times the uploader's longest retry delay (60 s), so a store
// that accepts even one request in ten counts as working.
inline constexpr std::chrono::minutes kStoreAcceptStale{10};

struct HealthSample {
  std::chrono::steady_clock::time_point at;
  bool feeds_alive = false;        // no feed event loop wedged (FeedConnections::wedged)
  std::uint64_t uploads_ok = 0;    // Metrics::uploads_ok: parts the store accepted
  bool spool_over_limit = false;   // spool_bytes > SPOOL_MAX_BYTES
};

struct HealthLimits {
  std::chrono::steady_clock::duration tick_stale;    // /healthz fails when no sample is newer than this
  std::chrono::steady_clock::duration feed_idle;     // WS_IDLE_SECS
  std::chrono::steady_clock::duration store_stale = kStoreAcceptStale;
};

struct HealthVerdict {
  bool ok = false;
  std::string reason;  // one line for the response body
};

// observe() from the main thread; live() and ready() from the metrics server's thread.
class HealthMonitor {
 public:
  // ws_messages: FeedMetrics::ws_messages, which must outlive the monitor.
  HealthMonitor(HealthLimits limits, const Counter& ws_messages) : limits_(limits), ws_messages_(ws_messages) {}

  void observe(const HealthSample& sample);
  // The process's loops are turning: a recent sample, taken while no feed loop was wedged.
  HealthVerdict live(std::chrono::steady_clock::time_point now) const;
  // Live, the feed delivered within feed_idle (a message since the last sample counts as one now),
  // and the store accepted a PUT within store_stale or the spool is under its alarm.
  HealthVerdict ready(std::chrono::steady_clock::time_point now) const;

 private:
  HealthVerdict live_locked(std::chrono::steady_clock::time_point now) const;

  const HealthLimits limits_;
  const Counter& ws_messages_;
  mutable std::mutex mutex_;
  std::optional<HealthSample> last_;
  std::uint64_t sampled_messages_ = 0;                                // ws_messages at the last sample
  std::optional<std::chrono::steady_clock::time_point> feed_moved_;   // first sample to see ws_messages grow
  std::optional<std::chrono::steady_clock::time_point> store_moved_;  // first sample to see uploads_ok grow
};

}  // namespace mc
