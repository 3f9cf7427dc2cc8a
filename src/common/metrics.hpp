#pragma once
// Counters an operator watches are relaxed atomics, so any thread can bump them without a lock.
// Each module declares its own struct of them (feed/feed_metrics.hpp, spool/spool_metrics.hpp, ...);
// the application assembles them (app/metrics.hpp) and renders them. What more than one module
// counts lives here: the fate of every record.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace mc {

using Counter = std::atomic<std::uint64_t>;

inline void bump(Counter& counter, std::uint64_t by = 1) { counter.fetch_add(by, std::memory_order_relaxed); }

// Why records were dropped (each also counts in records_dropped).
enum class DropReason : std::size_t { kQueueFull, kWriteFailed, kUnknownRoute, kCount };
inline constexpr std::array<const char*, static_cast<std::size_t>(DropReason::kCount)> kDropReasonNames = {
    "queue_full", "write_failed", "unknown_route"};

// Every record ends in one of these: routed (a trade, from the stream or REST), ignored (a control
// reply), quarantined, or dropped (could not be queued or written: an alarm).
struct RecordMetrics {
  Counter records_routed{0};
  Counter records_ignored{0};  // subscription replies and other non-data control messages
  Counter records_quarantined{0};
  Counter records_dropped{0};
  std::array<Counter, static_cast<std::size_t>(DropReason::kCount)> records_dropped_by_reason{};
};

inline void count_drop(RecordMetrics& metrics, DropReason reason, std::uint64_t records = 1) {
  bump(metrics.records_dropped, records);
  bump(metrics.records_dropped_by_reason[static_cast<std::size_t>(reason)], records);
}

}  // namespace mc
