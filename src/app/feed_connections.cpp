#include "app/feed_connections.hpp"

#include <cctype>
#include <future>
#include <string>
#include <thread>

#include "common/thread_name.hpp"
#include "feed/attempt_budget.hpp"
#include "feed/control_messages.hpp"
#include "feed/feed_client.hpp"
#include "feed/record_router.hpp"

namespace mc {
namespace {

// "btcusdt@trade" for "BTCUSDT".
std::string trade_stream(const std::string& symbol) {
  std::string stream;
  for (const char c : symbol) stream += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return stream + "@trade";
}

FeedOptions feed_options(const Config& config, const SymbolGroup& group, std::size_t index, std::size_t connections,
                         std::shared_ptr<AttemptBudget> budget) {
  FeedOptions options;
  options.base_url = config.binance_ws_url;
  options.streams.reserve(group.count);
  for (std::size_t i = group.first; i < group.first + group.count; ++i) {
    options.streams.push_back(trade_stream(config.symbols[i]));
  }
  options.ca_file = config.tls_ca_file;
  options.idle_timeout = std::chrono::seconds(config.ws_idle_secs);
  options.max_message_bytes = config.ws_max_message_bytes;
  options.max_age = std::chrono::seconds(config.ws_max_age_secs);
  options.attempt_budget = std::move(budget);
  // One connection keeps the plain "feed"; several say which one speaks.
  if (connections > 1) options.log_name = "feed-" + std::to_string(index + 1);
  return options;
}

}  // namespace

struct FeedConnections::Connection {
  Connection(const Config& config, const RouteTable& routes, RecordSink& sink, const Clock& clock, Metrics& metrics,
             FeedOptions options, SymbolGroup group, std::string thread_name)
      : router(config.symbols, routes, sink, metrics.feed, metrics.records, clock, group),
        client(std::move(options), router, clock, metrics.feed),
        stopped_future(stopped.get_future()),
        thread([this, name = std::move(thread_name)](const std::stop_token& stop) {
          name_this_thread(name);
          client.run(stop);
          stopped.set_value();
        }) {}

  RecordRouter router;
  FeedClient client;
  std::promise<void> stopped;
  std::future<void> stopped_future;
  std::jthread thread;  // last: starts once everything it uses exists
};

FeedConnections::FeedConnections(const Config& config, const RouteTable& routes, RecordSink& sink,
                                 const Clock& clock, Metrics& metrics)
    : groups_(split_symbols(config.symbols.size(), config.ws_streams_per_connection)) {
  const auto budget = std::make_shared<AttemptBudget>();
  connections_.reserve(groups_.size());
  for (std::size_t i = 0; i < groups_.size(); ++i) {
    connections_.push_back(std::make_unique<Connection>(
        config, routes, sink, clock, metrics, feed_options(config, groups_[i], i, groups_.size(), budget), groups_[i],
        "mc-feed-" + std::to_string(i + 1)));
    carried_.push_back(groups_[i].count);
    for (std::size_t symbol = groups_[i].first; symbol < groups_[i].first + groups_[i].count; ++symbol) {
      streams_.push_back(trade_stream(config.symbols[symbol]));
      carrier_.emplace_back(i);
    }
  }
}

bool FeedConnections::add_symbol(std::size_t symbol_index, const std::string& symbol) {
  if (symbol_index != streams_.size()) return false;  // listings are numbered in order
  streams_.push_back(trade_stream(symbol));
  carrier_.emplace_back();
  // Posted to every connection in the same order, so every router numbers listings alike.
  for (const auto& connection : connections_) {
    connection->client.post([&router = connection->router, symbol] { router.add_symbol(symbol); });
  }
  return subscribe(symbol_index);
}

bool FeedConnections::resubscribe(std::size_t symbol_index) {
  return symbol_index < streams_.size() && !carrier_[symbol_index] && subscribe(symbol_index);
}

bool FeedConnections::subscribe(std::size_t symbol_index) {
  const std::optional<std::size_t> chosen = connection_for_listing(carried_, kMaxStreamsPerConnection);
  if (!chosen) return false;
  ++carried_[*chosen];
  carrier_[symbol_index] = chosen;
  Connection& connection = *connections_[*chosen];
  connection.client.post([&connection, symbol_index, stream = streams_[symbol_index]] {
    const std::vector<std::size_t> positions = connection.client.add_streams({stream});
    connection.router.carry(symbol_index, positions.front());
  });
  return true;
}

void FeedConnections::unsubscribe(std::size_t symbol_index) {
  if (symbol_index >= streams_.size() || !carrier_[symbol_index]) return;
  const std::size_t carrier = *carrier_[symbol_index];
  --carried_[carrier];
  carrier_[symbol_index].reset();
  Connection& connection = *connections_[carrier];
  connection.client.post([&connection, stream = streams_[symbol_index]] { connection.client.remove_streams({stream}); });
}

FeedConnections::~FeedConnections() = default;

std::optional<std::size_t> FeedConnections::wedged(std::chrono::steady_clock::time_point now,
                                                   std::chrono::steady_clock::duration stale) const {
  for (std::size_t i = 0; i < connections_.size(); ++i) {
    if (now - connections_[i]->client.last_heartbeat() >= stale) return i;
  }
  return std::nullopt;
}

std::size_t FeedConnections::stop(std::chrono::steady_clock::duration grace) {
  for (const auto& connection : connections_) connection->thread.request_stop();
  const auto deadline = real_deadline_after(grace);
  std::size_t stopping = 0;
  for (const auto& connection : connections_) {
    if (connection->stopped_future.wait_until(deadline) != std::future_status::ready) ++stopping;
  }
  return stopping;
}

}  // namespace mc
