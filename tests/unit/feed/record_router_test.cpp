#include "feed/record_router.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/ringbuffer_sink.h>

#include "common/base64.hpp"
#include "common/log.hpp"
#include "feed/ws_frame_reader.hpp"
#include "support/fake_clock.hpp"
#include "support/record_batches.hpp"

namespace mc {
namespace {

// The two structs a router counts in, as one object a test can read.
struct RouterMetrics : FeedMetrics, RecordMetrics {};

using namespace std::chrono_literals;

constexpr std::int64_t kRecvUs = 1'739'141'034'567'123;

std::string trade(std::string_view symbol_lower, std::string_view symbol, std::int64_t id) {
  return R"({"stream":")" + std::string(symbol_lower) + R"(@trade","data":{"e":"trade","E":1739141034567,"s":")" +
         std::string(symbol) + R"(","t":)" + std::to_string(id) + R"(,"p":"1.0","q":"2.0","m":true}})";
}

// Takes records until told to refuse them, like a full queue.
class FakeSink final : public RecordSink {
 public:
  bool push(RecordBatch& batch) override {
    ++pushes;
    if (refuse) return false;
    testing::take_records(batch, records);
    batch.clear();
    return true;
  }
  bool refuse = false;
  int pushes = 0;
  std::vector<testing::TakenRecord> records;
};

// Keeps the lines of every logger made while it lives (make_logger clones the default logger, sinks
// included); restores plain text at info when it dies.
class CapturedLog {
 public:
  CapturedLog() : sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(1000)) {
    EXPECT_TRUE(init_logging("info", LogFormat::kText));
    spdlog::default_logger()->sinks().push_back(sink_);
  }
  ~CapturedLog() { init_logging("info", LogFormat::kText); }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;

  std::vector<std::string> lines_with(std::string_view needle) const {
    std::vector<std::string> lines;
    for (std::string& line : sink_->last_formatted()) {
      if (line.find(needle) != std::string::npos) lines.push_back(std::move(line));
    }
    return lines;
  }

 private:
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
};

class RecordRouterTest : public ::testing::Test {
 protected:
  RecordRouterTest() { metrics_.add_symbols(symbols_); }
  std::uint64_t outcomes() const {
    return metrics_.records_routed + metrics_.records_quarantined + metrics_.records_dropped +
           metrics_.records_ignored;
  }
  std::vector<std::string> logged(std::string_view needle) const { return log_.lines_with(needle); }
  // One message as the only one of a transport read.
  MessageSeen deliver(std::string_view payload, bool is_text, std::int64_t recv_us) {
    const MessageSeen seen = router_.on_message(payload, is_text, recv_us);
    router_.on_read_end();
    return seen;
  }

  const std::vector<std::string> symbols_{"BTCUSDT", "ETHUSDT"};
  const RouteTable routes_{symbols_};
  FakeSink sink_;
  RouterMetrics metrics_;
  testing::FakeClock clock_;
  CapturedLog log_;  // before the router, whose logger copies the sinks when it is made
  RecordRouter router_{symbols_, routes_, sink_, metrics_, metrics_, clock_, SymbolGroup{0, 2}};
};

TEST_F(RecordRouterTest, TradesGoToTheirSymbolsWriter) {
  const MessageSeen eth = deliver(trade("ethusdt", "ETHUSDT", 5), true, kRecvUs);
  const MessageSeen btc = deliver(trade("btcusdt", "BTCUSDT", 9), true, kRecvUs + 1);
  ASSERT_EQ(sink_.records.size(), 2U);
  EXPECT_EQ(sink_.records[0].route, routes_.data_route(1));
  EXPECT_EQ(sink_.records[0].recv_us, kRecvUs);
  EXPECT_EQ(sink_.records[0].line,
            R"({"recv_us":1739141034567123,)" + trade("ethusdt", "ETHUSDT", 5).substr(1) + "\n");
  EXPECT_EQ(sink_.records[1].route, routes_.data_route(0));
  EXPECT_EQ(sink_.records[1].recv_us, kRecvUs + 1);
  EXPECT_EQ(metrics_.records_routed, 2U);
  EXPECT_EQ(sink_.records[0].trade_id, 5);
  EXPECT_EQ(sink_.records[1].trade_id, 9);
  EXPECT_EQ(metrics_.symbols[1].trades.load(), 1U);
  EXPECT_EQ(metrics_.symbols[1].bytes.load(), trade("ethusdt", "ETHUSDT", 5).size());
  EXPECT_EQ(metrics_.symbols[0].last_trade_id.load(), 9);
  EXPECT_EQ(metrics_.symbols[0].lag_us.load(), kRecvUs + 1 - 1739141034567 * 1000);
  EXPECT_EQ(eth.stream, 1U);
  EXPECT_EQ(eth.trade_id, 5);
  EXPECT_EQ(btc.stream, 0U);
  EXPECT_EQ(btc.trade_id, 9);
  EXPECT_FALSE(btc.server_shutdown);
}

// A read's trades reach the symbols' metrics at the read's end, summed, with the last trade's id and lag.
TEST_F(RecordRouterTest, SymbolMetricsAreAddedOncePerRead) {
  const std::string first = trade("btcusdt", "BTCUSDT", 9);
  const std::string second = trade("ethusdt", "ETHUSDT", 5);
  const std::string third = trade("btcusdt", "BTCUSDT", 10);
  router_.on_message(first, true, kRecvUs);
  router_.on_message(second, true, kRecvUs);
  router_.on_message(third, true, kRecvUs + 7);
  EXPECT_EQ(metrics_.symbols[0].trades.load(), 0U) << "not before the read ends";
  router_.on_read_end();
  EXPECT_EQ(metrics_.symbols[0].trades.load(), 2U);
  EXPECT_EQ(metrics_.symbols[0].bytes.load(), first.size() + third.size());
  EXPECT_EQ(metrics_.symbols[0].last_trade_id.load(), 10);
  EXPECT_EQ(metrics_.symbols[0].lag_us.load(), kRecvUs + 7 - 1739141034567 * 1000);
  EXPECT_EQ(metrics_.symbols[1].trades.load(), 1U);
  EXPECT_EQ(metrics_.symbols[1].last_trade_id.load(), 5);
  // The next read starts from nothing: nothing is added twice.
  router_.on_message(second, true, kRecvUs);
  router_.on_read_end();
  EXPECT_EQ(metrics_.symbols[0].trades.load(), 2U);
  EXPECT_EQ(metrics_.symbols[1].trades.load(), 2U);
  EXPECT_EQ(metrics_.symbols[1].bytes.load(), 2 * second.size());
}

TEST_F(RecordRouterTest, BadInputGoesToItsSymbolsQuarantineOrTheUnroutableOne) {
  deliver(R"({"stream":"ethusdt@trade","data":{"e":"trade","E":1,"s":"ETHUSDT"}})", true, kRecvUs);
  deliver("garbage", true, kRecvUs);
  deliver(trade("btcusdt", "BTCUSDT", 1), false, kRecvUs);  // binary: no symbol is trusted
  ASSERT_EQ(sink_.records.size(), 3U);
  EXPECT_EQ(sink_.records[0].route, routes_.quarantine_route(1));
  EXPECT_NE(sink_.records[0].line.find(R"("reason":"bad_trade_id")"), std::string::npos);
  EXPECT_EQ(sink_.records[1].route, routes_.unroutable_quarantine_route());
  EXPECT_EQ(sink_.records[2].route, routes_.unroutable_quarantine_route());
  EXPECT_EQ(metrics_.records_quarantined, 3U);
  EXPECT_EQ(metrics_.records_routed, 0U);
  for (const testing::TakenRecord& record : sink_.records) EXPECT_EQ(record.trade_id, -1);
}

TEST_F(RecordRouterTest, OversizeMessageBecomesAQuarantineLineWithItsPrefixAndLength) {
  const std::string prefix = R"({"stream":"ethusdt@trade","data":{"e":"trade","p":")" + std::string(5000, '9');
  router_.on_oversize(prefix, true, 12'345'678, kRecvUs);
  router_.on_oversize("\x01\x02", false, 9'000'000, kRecvUs + 1);
  router_.on_message(trade("btcusdt", "BTCUSDT", 1), true, kRecvUs + 2);
  router_.on_read_end();
  ASSERT_EQ(sink_.records.size(), 3U);
  EXPECT_EQ(sink_.records[0].route, routes_.quarantine_route(1));
  EXPECT_EQ(sink_.records[0].recv_us, kRecvUs);
  EXPECT_EQ(sink_.records[0].trade_id, -1);
  const nlohmann::json line = nlohmann::json::parse(sink_.records[0].line);
  EXPECT_EQ(line["reason"], "oversize");
  EXPECT_EQ(line["frame"], "text");
  EXPECT_EQ(line["bytes"], 12'345'678);
  EXPECT_EQ(line["kept_bytes"], kOversizePrefixBytes);
  const Result<std::string> kept = base64_decode(line["raw_b64"].get<std::string>());
  ASSERT_TRUE(kept.is_ok());
  EXPECT_EQ(*kept, prefix.substr(0, kOversizePrefixBytes));
  // Binary: the unroutable quarantine, whatever it holds.
  EXPECT_EQ(sink_.records[1].route, routes_.unroutable_quarantine_route());
  EXPECT_NE(sink_.records[1].line.find(R"("reason":"oversize","frame":"binary","bytes":9000000,"kept_bytes":2,)"),
            std::string::npos)
      << sink_.records[1].line;
  EXPECT_EQ(sink_.records[2].trade_id, 1);
  EXPECT_EQ(metrics_.records_quarantined, 2U);
  EXPECT_EQ(metrics_.records_routed, 1U);
  // One warn line a second; the second message waits for the next.
  std::vector<std::string> lines = logged("oversize message quarantined");
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_NE(lines[0].find("symbol=ETHUSDT frame=text bytes=12345678 kept_bytes=4096 oversize_in_line=1 "
                          "head={%22stream%22:%22ethusdt@trade%22"),
            std::string::npos)
      << lines[0];
  clock_.advance(1s);
  router_.on_oversize("{}", true, 10'000, kRecvUs);
  lines = logged("oversize message quarantined");
  ASSERT_EQ(lines.size(), 2U);
  EXPECT_NE(lines[1].find("symbol=UNKNOWN frame=text bytes=10000 kept_bytes=2 oversize_in_line=2"), std::string::npos)
      << lines[1];
}

TEST_F(RecordRouterTest, ControlRepliesAreDroppedAndCounted) {
  deliver(R"({"result":null,"id":1})", true, kRecvUs);
  EXPECT_TRUE(sink_.records.empty());
  EXPECT_EQ(metrics_.records_ignored, 1U);
  EXPECT_EQ(outcomes(), 1U);
}

TEST_F(RecordRouterTest, AReadsMessagesReachTheSinkInOneBatchAtTheEndOfTheRead) {
  router_.on_message(trade("btcusdt", "BTCUSDT", 1), true, kRecvUs);
  router_.on_message("junk", true, kRecvUs);
  router_.on_message(trade("ethusdt", "ETHUSDT", 2), true, kRecvUs);
  EXPECT_EQ(sink_.pushes, 0);
  EXPECT_EQ(metrics_.records_routed, 0U);  // counted when the sink took them
  router_.on_read_end();
  EXPECT_EQ(sink_.pushes, 1);
  ASSERT_EQ(sink_.records.size(), 3U);
  EXPECT_EQ(sink_.records[0].trade_id, 1);
  EXPECT_EQ(sink_.records[1].route, routes_.unroutable_quarantine_route());
  EXPECT_EQ(sink_.records[2].trade_id, 2);
  EXPECT_EQ(sink_.records[2].event_time_ms, 1739141034567);
  EXPECT_TRUE(sink_.records[0].facts_as_stored);
  EXPECT_EQ(metrics_.records_routed, 2U);
  EXPECT_EQ(metrics_.records_quarantined, 1U);
  router_.on_read_end();  // nothing new: no push
  EXPECT_EQ(sink_.pushes, 1);
}

TEST_F(RecordRouterTest, RefusedRecordsAreCountedAndLoggedOncePerSecond) {
  sink_.refuse = true;
  for (int i = 0; i < 100; ++i) deliver(trade("btcusdt", "BTCUSDT", i), true, kRecvUs);
  EXPECT_EQ(metrics_.records_dropped, 100U);
  EXPECT_EQ(metrics_.records_routed, 0U);
  EXPECT_EQ(logged("sink refused").size(), 1U);

  clock_.advance(1s);
  deliver("junk", true, kRecvUs);
  EXPECT_EQ(metrics_.records_dropped, 101U);
  EXPECT_EQ(metrics_.records_quarantined, 0U);
  const std::vector<std::string> lines = logged("sink refused");
  ASSERT_EQ(lines.size(), 2U);
  EXPECT_NE(lines[1].find("dropped=1 refusals_in_line=100 dropped_total=101"), std::string::npos) << lines[1];
}

TEST_F(RecordRouterTest, QuarantineLogIsRateLimitedAndShowsAnEscapedHead) {
  deliver(std::string("bad \"frame\"\n\x01") + std::string(300, 'z'), true, kRecvUs);
  for (int i = 0; i < 10; ++i) deliver("bad", true, kRecvUs);
  std::vector<std::string> lines = logged("quarantined message");
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_NE(lines[0].find("reason=not_object symbol=UNKNOWN frame=text bytes=313 quarantined_in_line=1 "
                          "head=bad%20%22frame%22%0A%01zzz"),
            std::string::npos)
      << lines[0];
  EXPECT_EQ(lines[0].find(std::string(108, 'z')), std::string::npos);  // 120 bytes of payload at most
  EXPECT_NE(lines[0].find(std::string(107, 'z')), std::string::npos);
  EXPECT_EQ(metrics_.records_quarantined, 11U);
}

TEST_F(RecordRouterTest, StreamIndexIsThePositionInTheConnectionsOwnStreamList) {
  // A second connection that carries symbols 2..3 of four: its stream 0 is SOLUSDT, stream 1 XRPUSDT.
  const std::vector<std::string> symbols{"BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"};
  RouterMetrics metrics;
  metrics.add_symbols(symbols);
  const RouteTable routes(symbols);
  RecordRouter second(symbols, routes, sink_, metrics, metrics, clock_, SymbolGroup{2, 2});
  const MessageSeen xrp = second.on_message(trade("xrpusdt", "XRPUSDT", 7), true, kRecvUs);
  const MessageSeen sol = second.on_message(trade("solusdt", "SOLUSDT", 3), true, kRecvUs);
  EXPECT_EQ(xrp.stream, 1U);
  EXPECT_EQ(xrp.trade_id, 7);
  EXPECT_EQ(sol.stream, 0U);
  // A configured symbol the connection does not carry is stored, but is none of its streams.
  const MessageSeen btc = second.on_message(trade("btcusdt", "BTCUSDT", 9), true, kRecvUs);
  EXPECT_FALSE(btc.stream);
  second.on_read_end();
  ASSERT_EQ(sink_.records.size(), 3U);
  EXPECT_EQ(sink_.records[0].route, routes.data_route(3));
  EXPECT_EQ(sink_.records[1].route, routes.data_route(2));
  EXPECT_EQ(sink_.records[2].route, routes.data_route(0));
  EXPECT_EQ(metrics.symbols[3].last_trade_id.load(), 7);
}

TEST_F(RecordRouterTest, ServerShutdownIsReportedNotStored) {
  const MessageSeen seen = deliver(R"({"e":"serverShutdown","E":1739141034567})", true, kRecvUs);
  EXPECT_TRUE(seen.server_shutdown);
  EXPECT_FALSE(seen.stream);
  EXPECT_TRUE(sink_.records.empty());
  EXPECT_EQ(metrics_.records_ignored, 1U);
  EXPECT_EQ(logged("announced a shutdown").size(), 1U);
}

TEST_F(RecordRouterTest, RepeatedAndOutOfOrderIdsAllReachTheWriterThread) {
  for (const std::int64_t id : {10, 11, 15, 12, 15, 16}) deliver(trade("btcusdt", "BTCUSDT", id), true, kRecvUs);
  // The trade ledger behind the queue decides what is a gap or a duplicate.
  EXPECT_EQ(metrics_.records_routed, 6U);
  std::vector<std::int64_t> ids;
  for (const testing::TakenRecord& record : sink_.records) ids.push_back(record.trade_id);
  EXPECT_EQ(ids, (std::vector<std::int64_t>{10, 11, 15, 12, 15, 16}));
}

TEST_F(RecordRouterTest, EveryMessageEndsInExactlyOneCounter) {
  std::mt19937 rng(7);
  const std::string good = trade("btcusdt", "BTCUSDT", 1);
  for (std::uint64_t n = 1; n <= 10'000; ++n) {
    std::string payload = good.substr(0, rng() % (good.size() + 1));
    if (!payload.empty() && rng() % 2 == 0) payload[rng() % payload.size()] = static_cast<char>(rng() % 256);
    sink_.refuse = rng() % 10 == 0;
    deliver(payload, rng() % 20 != 0, kRecvUs);
    ASSERT_EQ(outcomes(), n);
  }
  EXPECT_EQ(sink_.records.size(), metrics_.records_routed + metrics_.records_quarantined);
}

TEST(LogLimiterTest, OneLinePerIntervalCarryingTheHeldBackCount) {
  LogLimiter limiter(1s);
  const auto t0 = std::chrono::steady_clock::time_point{} + 5s;
  EXPECT_EQ(limiter.admit(t0), 1U);
  EXPECT_EQ(limiter.admit(t0 + 100ms), 0U);
  EXPECT_EQ(limiter.admit(t0 + 999ms), 0U);
  EXPECT_EQ(limiter.admit(t0 + 1s), 3U);
  EXPECT_EQ(limiter.admit(t0 + 3s), 1U);
}

}  // namespace
}  // namespace mc

namespace mc {
namespace {

// SYMBOL=ALL: a listing's trades, unroutable before the router learns it, go to its own writer after,
// and once this connection carries its stream they name the stream's position.
TEST_F(RecordRouterTest, AListingIsRoutedOnceAddedAndCarried) {
  const std::string listed = trade("newusdt", "NEWUSDT", 3);
  EXPECT_FALSE(deliver(listed, true, kRecvUs).stream);
  ASSERT_EQ(sink_.records.size(), 1U);
  EXPECT_EQ(sink_.records[0].route, RouteTable::unroutable_quarantine_route());

  metrics_.add_symbols({"NEWUSDT"});
  router_.add_symbol("NEWUSDT");
  EXPECT_FALSE(deliver(trade("newusdt", "NEWUSDT", 4), true, kRecvUs + 1).stream);
  ASSERT_EQ(sink_.records.size(), 2U);
  EXPECT_EQ(sink_.records[1].route, RouteTable::data_route(2));
  EXPECT_EQ(sink_.records[1].trade_id, 4);

  router_.carry(2, 7);
  const MessageSeen seen = deliver(trade("newusdt", "NEWUSDT", 5), true, kRecvUs + 2);
  ASSERT_TRUE(seen.stream);
  EXPECT_EQ(*seen.stream, 7U);
  EXPECT_EQ(seen.trade_id, 5);
  EXPECT_EQ(metrics_.symbols[2].trades.load(), 2U);
  EXPECT_EQ(metrics_.symbols[2].last_trade_id.load(), 5);
  // The symbols it started with keep their routes and positions.
  EXPECT_EQ(*deliver(trade("ethusdt", "ETHUSDT", 6), true, kRecvUs + 3).stream, 1U);
  EXPECT_EQ(sink_.records.back().route, RouteTable::data_route(1));
}

}  // namespace
}  // namespace mc
