#pragma once
// SYMBOL=ALL at start: the collector has nothing to collect before it has read the exchange's list,
// so start-up waits for it (before the spool is touched and before /readyz or systemd hear "ready"):
// every failed read is an error line naming why and when the next try is (1 s, doubling, at most
// 60 s, with jitter), for as long as it takes. SIGTERM or SIGINT meanwhile ends the wait.

#include <optional>

#include <spdlog/logger.h>

#include "config/config.hpp"
#include "net/http_client.hpp"

namespace mc {

// Fills config.symbols (this shard's TRADING symbols) and config.symbols_listed (every shard's).
// Returns nullopt when it did, else the exit code to end with: 0 after a stop signal, 2 when the list
// gives this shard no symbol (more shards than the exchange has symbols: an operator's fix). The stop
// signals must be blocked (block_stop_signals).
std::optional<int> read_startup_symbols(Config& config, HttpClient& http, spdlog::logger& log);

}  // namespace mc
