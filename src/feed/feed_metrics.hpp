#pragma once
// The feed's counters: connections, messages and bytes, and per symbol what the stream delivered.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "common/metrics.hpp"

namespace mc {

// One symbol's feed, updated by the network thread for every trade it routes.
struct SymbolMetrics {
  explicit SymbolMetrics(std::string name) : symbol(std::move(name)) {}
  const std::string symbol;
  Counter trades{0};                        // trade messages received (both connections of a switch)
  Counter bytes{0};                         // their payload bytes
  std::atomic<std::int64_t> last_trade_id{-1};  // the newest trade's data.t; -1 before the first
  std::atomic<std::int64_t> lag_us{0};      // receive time minus the exchange's event time (E), newest trade
};

// Why a connection was given up or replaced.
enum class ReconnectReason : std::size_t { kError, kIdle, kServerClose, kMaxAge, kServerShutdown, kCount };
inline constexpr std::array<const char*, static_cast<std::size_t>(ReconnectReason::kCount)> kReconnectReasonNames = {
    "error", "idle", "server_close", "max_age", "server_shutdown"};

struct FeedMetrics {
  Counter ws_connects{0};
  Counter ws_disconnects{0};
  Counter ws_messages{0};
  Counter ws_bytes{0};
  Counter ws_pings{0};
  Counter ws_messages_oversize{0};  // messages over the size limit, quarantined as their first bytes
  // Connections past their WebSocket handshake and not yet ended: one per group, one more for each
  // group in the middle of a make-before-break switch.
  std::atomic<std::int64_t> ws_connections_up{0};
  std::array<Counter, static_cast<std::size_t>(ReconnectReason::kCount)> reconnects_by_reason{};
  // per symbol, in configuration order; filled once (add_symbols) before any thread reads it
  std::deque<SymbolMetrics> symbols;  // a deque: its elements never move, atomics cannot

  void add_symbols(const std::vector<std::string>& names) {
    for (const std::string& name : names) symbols.emplace_back(name);
  }
};

}  // namespace mc
