#include "app/feed_connections.hpp"

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/clock.hpp"

namespace mc {
namespace {

using namespace std::chrono_literals;

class NullSink final : public RecordSink {
 public:
  bool push(RecordBatch& batch) override {
    batch.clear();
    return true;
  }
};

Config seven_symbols_three_per_connection() {
  Config config;
  config.symbols = {"AAAUSDT", "BBBUSDT", "CCCUSDT", "DDDUSDT", "EEEUSDT", "FFFUSDT", "GGGUSDT"};
  config.ws_streams_per_connection = 3;
  config.binance_ws_url = "ws://127.0.0.1:1";  // nothing listens: every attempt is refused
  return config;
}

TEST(FeedConnectionsTest, OneConnectionPerGroupInSymbolOrder) {
  const Config config = seven_symbols_three_per_connection();
  NullSink sink;
  Metrics metrics;
  metrics.feed.add_symbols(config.symbols);
  const SystemClock clock;
  FeedConnections feeds(config, RouteTable(config.symbols), sink, clock, metrics);
  EXPECT_EQ(feeds.groups(), (std::vector<SymbolGroup>{{0, 3}, {3, 2}, {5, 2}}));
  EXPECT_EQ(feeds.stop(2s), 0U);
}

TEST(FeedConnectionsTest, AnyLoopWithAStaleHeartbeatIsWedgedAndStopEndsThemAll) {
  const Config config = seven_symbols_three_per_connection();
  NullSink sink;
  Metrics metrics;
  metrics.feed.add_symbols(config.symbols);
  const SystemClock clock;
  FeedConnections feeds(config, RouteTable(config.symbols), sink, clock, metrics);
  // Every loop beats once a second, refused connections or not.
  const auto now = std::chrono::steady_clock::now();
  EXPECT_EQ(feeds.wedged(now, 15s), std::nullopt);
  // Seen from 20 s later, every heartbeat is stale: the first one is named.
  EXPECT_EQ(feeds.wedged(now + 20s, 15s), 0U);
  const auto asked = std::chrono::steady_clock::now();
  EXPECT_EQ(feeds.stop(2s), 0U);
  EXPECT_LT(std::chrono::steady_clock::now() - asked, 2s);
}

}  // namespace
}  // namespace mc
