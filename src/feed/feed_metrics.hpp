#pragma once
// The feed's counters: connections, messages and bytes, and per symbol what the stream delivered.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
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
  // SYMBOL=ALL: how the exchange's list changed what this instance follows.
  Counter symbols_listed{0};          // new listings subscribed
  Counter symbols_delisted{0};        // delisted symbols unsubscribed, their writers ended
  Counter symbols_unplaced{0};        // listings no connection had room for (each at 1024 streams)
  Counter symbol_list_failures{0};    // reads of exchangeInfo that failed or were refused
  std::atomic<std::int64_t> symbols_followed{0};  // symbols subscribed now

  // Per symbol, by symbol index (the order of SYMBOL, then of listings). The list only grows, under
  // the lock (SYMBOL=ALL adds listings at run time); an element never moves (a deque), so a pointer
  // taken once stays valid and its atomics need no lock.
  std::deque<SymbolMetrics> symbols;

  void add_symbols(const std::vector<std::string>& names) {
    const std::lock_guard lock(symbols_mutex_);
    for (const std::string& name : names) symbols.emplace_back(name);
  }
  // Null for an index not added yet.
  SymbolMetrics* symbol(std::size_t index) {
    const std::lock_guard lock(symbols_mutex_);
    return index < symbols.size() ? &symbols[index] : nullptr;
  }
  template <typename Visit>
  void for_each_symbol(const Visit& visit) const {
    const std::lock_guard lock(symbols_mutex_);
    for (const SymbolMetrics& symbol : symbols) visit(symbol);
  }

 private:
  mutable std::mutex symbols_mutex_;
};

}  // namespace mc
