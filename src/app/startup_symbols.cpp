#include "app/startup_symbols.hpp"

#include <signal.h>

#include <chrono>
#include <random>

#include <fmt/ranges.h>

#include "app/exchange_symbols.hpp"
#include "feed/backoff.hpp"

namespace mc {
namespace {

constexpr std::chrono::milliseconds kFirstRetry{1000};
constexpr std::chrono::milliseconds kMaxRetry{60000};
constexpr int kExitStopped = 0;
constexpr int kExitNoSymbols = 2;  // kExitConfigError

// Waits up to `delay` for SIGTERM or SIGINT; true when one came.
bool stop_signal_within(std::chrono::milliseconds delay) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(delay);
  const timespec timeout{secs.count(), std::chrono::duration_cast<std::chrono::nanoseconds>(delay - secs).count()};
  return sigtimedwait(&set, nullptr, &timeout) > 0;
}

}  // namespace

std::optional<int> read_startup_symbols(Config& config, HttpClient& http, spdlog::logger& log) {
  std::mt19937_64 rng(std::random_device{}());
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  Backoff backoff(kFirstRetry, kMaxRetry, [&] { return unit(rng); });
  while (true) {
    Result<ShardSymbols> listed =
        fetch_shard_symbols(http, config.binance_rest_url, config.binance_api_key, config.shard);
    if (listed) {
      if (!listed->odd_names.empty()) {
        log.warn("SYMBOL=ALL skips symbols whose names are not 2 to 20 upper-case letters or digits names=[{}]",
                 fmt::join(listed->odd_names, ","));
      }
      if (listed->symbols.empty()) {
        log.critical("config error: SHARD={}/{}: the exchange lists {} TRADING symbols and none is this shard's; "
                     "run fewer shards",
                     config.shard.index, config.shard.count, listed->trading);
        return kExitNoSymbols;
      }
      log.info("SYMBOL=ALL: the exchange lists {} TRADING symbols; following {} (shard {}/{})", listed->trading,
               listed->symbols.size(), config.shard.index, config.shard.count);
      config.symbols = std::move(listed->symbols);
      config.symbols_listed = listed->trading;
      return std::nullopt;
    }
    const std::chrono::milliseconds delay = backoff.next();
    log.error("SYMBOL=ALL: cannot read the exchange's symbol list, collecting nothing until it can; attempt={} "
              "retry_in_ms={} error=\"{}\"",
              backoff.failures(), delay.count(), listed.status().message());
    if (stop_signal_within(delay)) return kExitStopped;
  }
}

}  // namespace mc
