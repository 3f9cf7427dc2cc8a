#include "app/symbol_follower.hpp"

#include <fmt/ranges.h>

#include "app/exchange_symbols.hpp"
#include "common/log.hpp"
#include "common/thread_name.hpp"
#include "feed/symbol_changes.hpp"

namespace mc {

SymbolFollower::SymbolFollower(const Config& config, SymbolStages stages, HttpClientFactory make_client)
    : config_(config),
      stages_(stages),
      make_client_(std::move(make_client)),
      log_(make_logger("symbols")),
      names_(config.symbols),
      followed_(config.symbols.size(), true) {
  for (std::size_t i = 0; i < names_.size(); ++i) index_of_.emplace(names_[i], i);
  stages_.metrics.symbols_followed.store(static_cast<std::int64_t>(names_.size()), std::memory_order_relaxed);
  thread_ = std::jthread([this](const std::stop_token& stop) {
    name_this_thread("mc-symbols");
    run(stop);
  });
}

SymbolFollower::~SymbolFollower() { stop(); }

void SymbolFollower::stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  thread_.join();
}

void SymbolFollower::run(const std::stop_token& stop) {
  const std::unique_ptr<HttpClient> http =
      make_client_ ? make_client_() : make_http_client(HttpClientOptions{.ca_file = config_.tls_ca_file});
  const auto interval = std::chrono::seconds(config_.symbols_refresh_secs);
  while (true) {
    {
      std::unique_lock lock(mutex_);
      if (wake_.wait_for(lock, stop, interval, [] { return false; }) || stop.stop_requested()) return;
    }
    refresh(*http);
  }
}

void SymbolFollower::refresh(HttpClient& http) {
  Result<ShardSymbols> listed =
      fetch_shard_symbols(http, config_.binance_rest_url, config_.binance_api_key, config_.shard);
  if (!listed) {
    bump(stages_.metrics.symbol_list_failures);
    log_->error("cannot read the exchange's symbol list; following the same {} symbols until the next refresh in "
                "{} s error=\"{}\"",
                stages_.metrics.symbols_followed.load(std::memory_order_relaxed), config_.symbols_refresh_secs,
                listed.status().message());
    return;
  }
  apply(listed->symbols);
}

void SymbolFollower::apply(const std::vector<std::string>& wanted) {
  std::vector<std::string> current;
  for (std::size_t i = 0; i < names_.size(); ++i) {
    if (followed_[i]) current.push_back(names_[i]);
  }
  const SymbolChanges changes = diff_symbols(current, wanted);
  if (changes.empty()) {
    log_->debug("symbol list unchanged symbols={}", current.size());
    return;
  }
  for (const std::string& symbol : changes.delisted) delist(index_of_.at(symbol));
  for (const std::string& symbol : changes.listed) list(symbol);
  std::size_t followed = 0;
  for (const bool on : followed_) followed += on ? 1 : 0;
  stages_.metrics.symbols_followed.store(static_cast<std::int64_t>(followed), std::memory_order_relaxed);
  log_->info("symbol list changed listed={} delisted={} followed={} new=[{}] gone=[{}]", changes.listed.size(),
             changes.delisted.size(), followed, fmt::join(changes.listed, ","), fmt::join(changes.delisted, ","));
}

void SymbolFollower::list(const std::string& symbol) {
  if (const auto known = index_of_.find(symbol); known != index_of_.end()) {
    if (!stages_.feeds.resubscribe(known->second)) {
      bump(stages_.metrics.symbols_unplaced);
      log_->error("SYMBOL NOT COLLECTED: every connection carries 1024 streams; restart to spread symbol={}", symbol);
      return;
    }
    followed_[known->second] = true;
    bump(stages_.metrics.symbols_listed);
    log_->info("symbol listed again, subscribing symbol={}", symbol);
    return;
  }
  const std::size_t index = names_.size();
  names_.push_back(symbol);
  followed_.push_back(false);
  index_of_.emplace(symbol, index);
  // Every stage before the subscription: a trade may follow the SUBSCRIBE at once.
  stages_.metrics.add_symbols({symbol});
  stages_.ledger.add_symbol(symbol);
  stages_.writer.add_symbol(symbol, config_.rot_secs_overrides.secs_for(symbol, config_.rot_secs));
  if (stages_.backfill != nullptr) stages_.backfill->add_symbol(symbol);
  if (!stages_.feeds.add_symbol(index, symbol)) {
    bump(stages_.metrics.symbols_unplaced);
    log_->error("SYMBOL NOT COLLECTED: every connection carries 1024 streams; restart to spread symbol={}", symbol);
    return;
  }
  followed_[index] = true;
  bump(stages_.metrics.symbols_listed);
  log_->info("new listing, subscribing symbol={} index={}", symbol, index);
}

void SymbolFollower::delist(std::size_t index) {
  followed_[index] = false;
  stages_.feeds.unsubscribe(index);
  stages_.writer.end_symbol(index);
  stages_.ledger.retire(index);
  if (stages_.backfill != nullptr) stages_.backfill->forget(index);
  bump(stages_.metrics.symbols_delisted);
  log_->info("symbol delisted, unsubscribing and ending its writers symbol={}", names_[index]);
}

}  // namespace mc
