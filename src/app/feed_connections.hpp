#pragma once
// The collector's WebSocket connections. The symbols are split, in SYMBOL order, into groups of at
// most WS_STREAMS_PER_CONNECTION (split_symbols); each group has its own FeedClient, with its own
// make-before-break, backoff and watchdog, so one connection's drop touches no other, and its own
// RecordRouter. Connection attempts share one budget: Binance counts them per IP.
//
// Each connection runs on a thread of its own. The default of 200 streams per connection makes that
// 5 threads for 1,000 symbols; FeedClient stays the single-threaded, lock-free event loop it was
// tested as; the TLS and JSON work of busy connections spreads over the cores; and a loop that
// wedges (the watchdog's concern) holds only its own symbols. The routers, one per connection, are
// never shared; the sink (a locked queue) and the metrics (atomics) are safe from every thread.

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "app/metrics.hpp"
#include "common/record.hpp"
#include "config/config.hpp"
#include "feed/symbol_groups.hpp"

namespace mc {

class FeedConnections {
 public:
  // Starts one thread per group of config.symbols. routes must be RouteTable(config.symbols).
  FeedConnections(const Config& config, const RouteTable& routes, RecordSink& sink, const Clock& clock,
                  Metrics& metrics);
  ~FeedConnections();  // stops every connection and joins its thread
  FeedConnections(const FeedConnections&) = delete;
  FeedConnections& operator=(const FeedConnections&) = delete;

  const std::vector<SymbolGroup>& groups() const { return groups_; }
  // How many streams each connection carries, in connection order: for the start-up log.
  std::vector<std::size_t> group_sizes() const {
    std::vector<std::size_t> sizes;
    for (const SymbolGroup& group : groups_) sizes.push_back(group.count);
    return sizes;
  }

  // The first connection (an index into groups()) whose event loop has not moved its heartbeat for
  // longer than `stale`; nullopt while every loop is alive.
  std::optional<std::size_t> wedged(std::chrono::steady_clock::time_point now,
                                    std::chrono::steady_clock::duration stale) const;

  // Asks every connection to stop and waits until all have, or until `grace` has passed. Returns how
  // many were still stopping then (the destructor joins them).
  std::size_t stop(std::chrono::steady_clock::duration grace);

  // SYMBOL=ALL, from one thread (the symbol follower). A new listing, whose index is the count of
  // symbols so far: every router learns it, and the connection with the fewest streams subscribes it
  // (connection_for_listing). False when every connection carries 1024 streams (Binance's limit): the
  // routers know it, nothing subscribes it; the caller counts and logs it.
  bool add_symbol(std::size_t symbol_index, const std::string& symbol);
  // Subscribes a known symbol again (a relisting); false as add_symbol.
  bool resubscribe(std::size_t symbol_index);
  // Unsubscribes a symbol on the connection that carries it.
  void unsubscribe(std::size_t symbol_index);

 private:
  struct Connection;

  bool subscribe(std::size_t symbol_index);

  const std::vector<SymbolGroup> groups_;
  std::vector<std::unique_ptr<Connection>> connections_;  // one per group, same order
  // The follower's thread only, after construction: by symbol index, its stream and the connection
  // that carries it; per connection, how many streams it carries.
  std::vector<std::string> streams_;
  std::vector<std::optional<std::size_t>> carrier_;
  std::vector<std::size_t> carried_;
};

}  // namespace mc
