#pragma once
// What the main thread tells the outside on every tick: systemd's status line and watchdog ping
// (withheld while a feed event loop is wedged, so that systemd restarts the service) and a health
// sample for /healthz and /readyz.

#include <chrono>

#include "app/feed_connections.hpp"
#include "app/health.hpp"
#include "app/systemd_notify.hpp"
#include "common/clock.hpp"
#include "app/metrics.hpp"

namespace spdlog {
class logger;
}

namespace mc {

// A feed event loop counts as wedged when its once-a-second heartbeat is older than this.
inline constexpr std::chrono::seconds kFeedHeartbeatStale{15};

class StatusReporter {
 public:
  StatusReporter(SystemdNotifier systemd, const FeedConnections& feeds, HealthMonitor& health, const Metrics& metrics,
                 const Clock& clock, spdlog::logger& log)
      : systemd_(std::move(systemd)), feeds_(feeds), health_(health), metrics_(metrics), clock_(clock), log_(log) {}

  // READY=1 to systemd, then the first report.
  void ready(bool spool_over_limit);
  void report(bool spool_over_limit);
  void stopping();

 private:
  SystemdNotifier systemd_;
  const FeedConnections& feeds_;
  HealthMonitor& health_;
  const Metrics& metrics_;
  const Clock& clock_;
  spdlog::logger& log_;
};

}  // namespace mc
