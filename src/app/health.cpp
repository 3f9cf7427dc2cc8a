#include "app/health.hpp"

#include <fmt/format.h>

namespace mc {
namespace {

long long whole_seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration_cast<std::chrono::seconds>(d).count();
}

}  // namespace

void HealthMonitor::observe(const HealthSample& sample) {
  const std::lock_guard lock(mutex_);
  const std::uint64_t messages = ws_messages_.load(std::memory_order_relaxed);
  const std::uint64_t uploads_before = last_ ? last_->uploads_ok : 0;
  if (messages > sampled_messages_) feed_moved_ = sample.at;
  if (sample.uploads_ok > uploads_before) store_moved_ = sample.at;
  sampled_messages_ = messages;
  last_ = sample;
}

HealthVerdict HealthMonitor::live(std::chrono::steady_clock::time_point now) const {
  const std::lock_guard lock(mutex_);
  return live_locked(now);
}

HealthVerdict HealthMonitor::live_locked(std::chrono::steady_clock::time_point now) const {
  if (!last_) return {false, "not started: the main loop has not reported yet"};
  if (now - last_->at > limits_.tick_stale) {
    return {false, fmt::format("main loop stalled: last report {} s ago", whole_seconds(now - last_->at))};
  }
  if (!last_->feeds_alive) return {false, "a feed event loop is wedged (no heartbeat)"};
  return {true, "ok"};
}

HealthVerdict HealthMonitor::ready(std::chrono::steady_clock::time_point now) const {
  const std::lock_guard lock(mutex_);
  if (HealthVerdict live = live_locked(now); !live.ok) return live;
  // Read under the lock, so never behind sampled_messages_: the counter only grows.
  const bool moved_since_sample = ws_messages_.load(std::memory_order_relaxed) > sampled_messages_;
  const std::optional<std::chrono::steady_clock::time_point> feed_moved = moved_since_sample ? now : feed_moved_;
  if (!feed_moved) return {false, "feed: no message received yet"};
  if (now - *feed_moved > limits_.feed_idle) {
    return {false, fmt::format("feed: no message for {} s (WS_IDLE_SECS={})", whole_seconds(now - *feed_moved),
                               whole_seconds(limits_.feed_idle))};
  }
  if (last_->spool_over_limit && (!store_moved_ || now - *store_moved_ > limits_.store_stale)) {
    return {false, fmt::format("store: spool over SPOOL_MAX_BYTES and no part stored for {}",
                               store_moved_ ? fmt::format("{} s", whole_seconds(now - *store_moved_))
                                            : std::string("the whole run"))};
  }
  return {true, "ok"};
}

}  // namespace mc
