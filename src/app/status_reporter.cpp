#include "app/status_reporter.hpp"

#include <optional>

#include <spdlog/spdlog.h>

namespace mc {

void StatusReporter::ready(bool spool_over_limit) {
  if (Status ready = systemd_.ready(); !ready) log_.warn("systemd notification failed: {}", ready.message());
  report(spool_over_limit);
}

void StatusReporter::report(bool spool_over_limit) {
  const auto now = clock_.steady_now();
  const std::optional<std::size_t> wedged = feeds_.wedged(now, kFeedHeartbeatStale);
  if (systemd_.enabled()) {
    if (wedged) {
      log_.error("feed connection {} of {} is wedged (no heartbeat for {} s): withholding the watchdog ping",
                 *wedged + 1, feeds_.groups().size(), kFeedHeartbeatStale.count());
    } else if (systemd_.watchdog_interval()) {
      static_cast<void>(systemd_.watchdog());
    }
    // Up to one more than the groups while a connection is being replaced.
    const std::int64_t up = metrics_.feed.ws_connections_up.load();
    static_cast<void>(systemd_.status(fmt::format(
        "connections={}/{} messages={} parts_stored={} spool_bytes={} dropped={} gaps={}", up, feeds_.groups().size(),
        metrics_.feed.ws_messages.load(), metrics_.upload.uploads_ok.load(), metrics_.spool.spool_bytes.load(),
        metrics_.records.records_dropped.load(), metrics_.ledger.trade_id_gaps.load())));
  }
  health_.observe({.at = now,
                   .feeds_alive = !wedged,
                   .uploads_ok = metrics_.upload.uploads_ok.load(),
                   .spool_over_limit = spool_over_limit});
}

void StatusReporter::stopping() { static_cast<void>(systemd_.stopping()); }

}  // namespace mc
