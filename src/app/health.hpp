#pragma once
// What GET /healthz and GET /readyz answer. Built from signals the collector already has, sampled on
// the main thread's 5 s tick: the tick itself, the feed event loops' heartbeats (the test that also
// withholds the systemd watchdog ping), the ws_messages and uploads_ok counters, and the spool-size
// alarm (SPOOL_MAX_BYTES). Counters are sampled, so "when it last moved" is known to within a tick.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

namespace mc {

// How long the store may go without accepting a PUT while the spool is over its alarm before the
// collector stops reporting ready: ten times the uploader's longest retry delay (60 s), so a store
// that accepts even one request in ten counts as working.
inline constexpr std::chrono::minutes kStoreAcceptStale{10};

struct HealthSample {
  std::chrono::steady_clock::time_point at;
  bool feeds_alive = false;        // no feed event loop wedged (FeedConnections::wedged)
  std::uint64_t ws_messages = 0;   // Metrics::ws_messages
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
  explicit HealthMonitor(HealthLimits limits) : limits_(limits) {}

  void observe(const HealthSample& sample);
  // The process's loops are turning: a recent sample, taken while no feed loop was wedged.
  HealthVerdict live(std::chrono::steady_clock::time_point now) const;
  // Live, the feed delivered within feed_idle, and the store accepted a PUT within store_stale or
  // the spool is under its alarm.
  HealthVerdict ready(std::chrono::steady_clock::time_point now) const;

 private:
  HealthVerdict live_locked(std::chrono::steady_clock::time_point now) const;

  const HealthLimits limits_;
  mutable std::mutex mutex_;
  std::optional<HealthSample> last_;
  std::optional<std::chrono::steady_clock::time_point> feed_moved_;   // first sample to see ws_messages grow
  std::optional<std::chrono::steady_clock::time_point> store_moved_;  // first sample to see uploads_ok grow
};

}  // namespace mc
