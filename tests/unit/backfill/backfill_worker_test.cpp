#include "backfill/backfill_worker.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <thread>
#include <tuple>

#include "../feed/test_certs.hpp"
#include "backfill/rest_trade_line.hpp"
#include "fake_exchange.hpp"
#include "support/record_batches.hpp"
#include "support/eventually.hpp"
#include "support/fake_clock.hpp"
#include "support/temp_dir.hpp"

namespace mc {
namespace {

// The two structs a backfill worker counts in, as one object a test reads.
struct BackfillTestMetrics : BackfillMetrics, RecordMetrics {};

using namespace std::chrono_literals;
using testing::eventually;
using ::testing::ElementsAre;
using testing::FakeExchange;
using testing::LoopbackHttpServer;
using testing::ReceivedRequest;
using testing::ScriptedResponse;

// Takes records until `refuse_at` pushes were taken, then refuses one push (a full queue), then takes again.
class CollectingSink final : public RecordSink {
 public:
  explicit CollectingSink(std::size_t refuse_at = SIZE_MAX) : refuse_at_(refuse_at) {}
  bool push(RecordBatch& batch) override {
    std::lock_guard lock(mutex_);
    if (records_.size() == refuse_at_ && !refused_) {
      refused_ = true;
      return false;
    }
    testing::take_records(batch, records_);
    batch.clear();
    return true;
  }
  std::vector<testing::TakenRecord> records() const {
    std::lock_guard lock(mutex_);
    return records_;
  }
  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return records_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::size_t refuse_at_;
  bool refused_ = false;
  std::vector<testing::TakenRecord> records_;
};

using Lost = std::tuple<std::size_t, std::int64_t, std::int64_t>;

class RecordingListener final : public BackfillListener {
 public:
  void on_unrecoverable(std::size_t symbol_index, std::int64_t from, std::int64_t to) override {
    std::lock_guard lock(mutex_);
    lost_.emplace_back(symbol_index, from, to);
  }
  std::vector<Lost> lost() const {
    std::lock_guard lock(mutex_);
    return lost_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Lost> lost_;
};

class BackfillWorkerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { runtime_ = new HttpRuntime(); }
  static void TearDownTestSuite() { delete runtime_; }

  void serve(std::vector<std::string> symbols, std::int64_t first_id, std::int64_t last_id) {
    exchange_ = std::make_unique<FakeExchange>(std::move(symbols), first_id, last_id);
    server_ = std::make_unique<LoopbackHttpServer>(
        [this](const ReceivedRequest& request) { return exchange_->answer(request); });
  }

  std::unique_ptr<BackfillWorker> worker(std::vector<std::string> symbols, const Clock& clock,
                                         std::string api_key = "", std::function<bool()> may_write = {}) {
    routes_ = std::make_unique<RouteTable>(symbols);
    return std::make_unique<BackfillWorker>(
        BackfillOptions{.base_url = server_->url(""), .api_key = std::move(api_key), .may_write = std::move(may_write)},
        std::move(symbols), *routes_, sink_, [] { return make_http_client({}); }, clock, metrics_, metrics_, listener_);
  }

  // Serves ids 1..1000 but [absent_first, absent_last], backfills 100..120 until nothing is pending.
  bool backfill_100_to_120_with_absent(std::int64_t absent_first, std::int64_t absent_last) {
    serve({"BTCUSDT"}, 1, 1000);
    exchange_->make_absent(absent_first, absent_last);
    auto backfill = worker({"BTCUSDT"}, system_clock_);
    backfill->request(0, 100, 120);
    const bool settled = eventually([&] { return backfill->pending_ids() == 0; });
    backfill->stop();
    return settled;
  }

  std::vector<std::string> targets() const {
    std::vector<std::string> out;
    for (const ReceivedRequest& request : server_->requests()) out.push_back(request.target);
    return out;
  }

  std::unique_ptr<FakeExchange> exchange_;
  std::unique_ptr<LoopbackHttpServer> server_;
  std::unique_ptr<RouteTable> routes_;
  CollectingSink sink_;
  RecordingListener listener_;
  BackfillTestMetrics metrics_;
  SystemClock system_clock_;

 private:
  static inline HttpRuntime* runtime_ = nullptr;
};

TEST_F(BackfillWorkerTest, Fills2500IdGapInThreePagesWithExactRecords) {
  serve({"BTCUSDT", "ETHUSDT"}, 1, 10'000);
  testing::FakeClock clock;
  auto backfill = worker({"BTCUSDT", "ETHUSDT"}, clock);
  backfill->request(1, 1001, 3500);
  ASSERT_TRUE(eventually([&] { return backfill->pending_ids() == 0; })) << backfill->pending_ids();
  backfill->stop();
  EXPECT_THAT(targets(), ElementsAre("/api/v3/historicalTrades?symbol=ETHUSDT&fromId=1001&limit=1000",
                                     "/api/v3/historicalTrades?symbol=ETHUSDT&fromId=2001&limit=1000",
                                     "/api/v3/historicalTrades?symbol=ETHUSDT&fromId=3001&limit=500"));
  const std::vector<testing::TakenRecord> records = sink_.records();
  ASSERT_EQ(records.size(), 2500U);
  for (std::size_t i = 0; i < records.size(); ++i) {
    const std::int64_t id = 1001 + static_cast<std::int64_t>(i);
    std::string expected;
    append_rest_trade_line(expected, testing::history_trade(id), "ETHUSDT", clock.system_now_us());
    ASSERT_EQ(records[i].trade_id, id);
    ASSERT_EQ(records[i].route, routes_->data_route(1));
    ASSERT_EQ(records[i].recv_us, clock.system_now_us());
    ASSERT_EQ(records[i].line, expected);
  }
  EXPECT_EQ(metrics_.records_routed.load(), 2500U);
  EXPECT_TRUE(listener_.lost().empty());
  EXPECT_EQ(server_->requests().at(0).headers.count("x-mbx-apikey"), 0U);
}

TEST_F(BackfillWorkerTest, SendsTheApiKeyWhenConfigured) {
  serve({"BTCUSDT"}, 1, 100);
  auto backfill = worker({"BTCUSDT"}, system_clock_, "my-api-key");
  backfill->request(0, 10, 12);
  ASSERT_TRUE(eventually([&] { return sink_.size() == 3; }));
  backfill->stop();
  EXPECT_EQ(server_->requests().at(0).headers.at("x-mbx-apikey"), "my-api-key");
}

TEST_F(BackfillWorkerTest, HonoursRetryAfterOfA429) {
  serve({"BTCUSDT"}, 1, 100);
  exchange_->script({.status = 429, .headers = {{"Retry-After", "2"}}, .body = R"({"code":-1003,"msg":"slow down"})"});
  auto backfill = worker({"BTCUSDT"}, system_clock_);
  backfill->request(0, 1, 10);
  ASSERT_TRUE(eventually([&] { return sink_.size() == 10; }));
  backfill->stop();
  const auto arrivals = exchange_->arrivals();
  ASSERT_EQ(arrivals.size(), 2U);
  EXPECT_GE(arrivals[1] - arrivals[0], 2s);
}

TEST_F(BackfillWorkerTest, RetriesA5xxAfterABackoff) {
  serve({"BTCUSDT"}, 1, 100);
  exchange_->script({.status = 502});
  auto backfill = worker({"BTCUSDT"}, system_clock_);
  backfill->request(0, 1, 10);
  ASSERT_TRUE(eventually([&] { return sink_.size() == 10; }));
  backfill->stop();
  const auto arrivals = exchange_->arrivals();
  ASSERT_EQ(arrivals.size(), 2U);
  EXPECT_GE(arrivals[1] - arrivals[0], kFirstErrorBackoff);
  EXPECT_TRUE(listener_.lost().empty());
}

TEST_F(BackfillWorkerTest, ReportsTheUnrecoverablePrefixWhenHistoryStartsLater) {
  serve({"BTCUSDT"}, 5000, 10'000);
  auto backfill = worker({"BTCUSDT"}, system_clock_);
  backfill->request(0, 4000, 5500);
  ASSERT_TRUE(eventually([&] { return backfill->pending_ids() == 0; }));
  backfill->stop();
  EXPECT_THAT(listener_.lost(), ElementsAre(Lost{0, 4000, 4999}));
  const std::vector<testing::TakenRecord> records = sink_.records();
  ASSERT_EQ(records.size(), 501U);
  EXPECT_EQ(records.front().trade_id, 5000);
  EXPECT_EQ(records.back().trade_id, 5500);
  EXPECT_EQ(server_->requests().size(), 1U);
}

TEST_F(BackfillWorkerTest, IdsNotServedYetStayPendingUntilTheExchangeServesThem) {
  // REST trails the stream: the live trade 111 proved 98..110 exist, REST has only up to 100 so far.
  serve({"BTCUSDT"}, 1, 100);
  auto backfill = worker({"BTCUSDT"}, system_clock_);
  backfill->request(0, 98, 110);
  ASSERT_TRUE(eventually([&] { return server_->requests().size() >= 3; }, 15s));
  EXPECT_EQ(sink_.size(), 3U);
  EXPECT_EQ(backfill->pending_ids(), 10U);
  EXPECT_TRUE(listener_.lost().empty());
  exchange_->extend_to(200);
  ASSERT_TRUE(eventually([&] { return backfill->pending_ids() == 0; }, 15s));
  backfill->stop();
  EXPECT_TRUE(listener_.lost().empty());
  std::vector<std::int64_t> ids;
  for (const testing::TakenRecord& record : sink_.records()) ids.push_back(record.trade_id);
  EXPECT_THAT(ids, ElementsAre(98, 99, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110));
  EXPECT_GE(metrics_.backfill_not_served.load(), 2U);
}

TEST_F(BackfillWorkerTest, NotServedAnswersBackOffInsteadOfPolling) {
  serve({"BTCUSDT"}, 1, 100);
  auto backfill = worker({"BTCUSDT"}, system_clock_);
  backfill->request(0, 101, 110);  // an empty page: nothing at or after 101 yet
  ASSERT_TRUE(eventually([&] { return server_->requests().size() >= 3; }, 15s));
  backfill->stop();
  const auto arrivals = exchange_->arrivals();
  ASSERT_GE(arrivals.size(), 3U);
  // 2 s, then 4 s: the delays double (the weight budget alone would allow a request every 0.75 s).
  EXPECT_GE(arrivals[1] - arrivals[0], kFirstNotServedDelay - 100ms);
  EXPECT_GE(arrivals[2] - arrivals[1], 2 * kFirstNotServedDelay - 100ms);
  EXPECT_TRUE(listener_.lost().empty());
  EXPECT_EQ(sink_.size(), 0U);
}

TEST_F(BackfillWorkerTest, AGapPendingPastTheAlarmAgeRaisesTheOverdueGaugeUntilFilled) {
  serve({"BTCUSDT"}, 1, 100);
  routes_ = std::make_unique<RouteTable>(std::vector<std::string>{"BTCUSDT"});
  BackfillWorker backfill(BackfillOptions{.base_url = server_->url(""), .alarm_after = 1s}, {"BTCUSDT"}, *routes_,
                          sink_, [] { return make_http_client({}); }, system_clock_, metrics_, metrics_, listener_);
  backfill.request(0, 101, 110);
  ASSERT_TRUE(eventually([&] { return metrics_.backfill_overdue_gaps.load() == 1; }, 15s));
  exchange_->extend_to(120);
  ASSERT_TRUE(eventually([&] { return backfill.pending_ids() == 0; }, 20s));
  ASSERT_TRUE(eventually([&] { return metrics_.backfill_overdue_gaps.load() == 0; }, 20s));
  backfill.stop();
  EXPECT_EQ(sink_.size(), 10U);
  EXPECT_TRUE(listener_.lost().empty());
}

TEST_F(BackfillWorkerTest, IdsServedOnBothSidesButNotThemselvesAreGivenUpInOneRequest) {
  ASSERT_TRUE(backfill_100_to_120_with_absent(105, 109));
  EXPECT_THAT(listener_.lost(), ElementsAre(Lost{0, 105, 109}));
  EXPECT_EQ(sink_.size(), 16U);
  EXPECT_EQ(server_->requests().size(), 1U);
}

TEST_F(BackfillWorkerTest, AbsentIdsAtTheRangesEndAreGivenUpOnceAnIdPastThemIsServed) {
  ASSERT_TRUE(backfill_100_to_120_with_absent(118, 125));
  // The page of 21 runs past 120 to 126..128: 118..120 are proven absent, not awaited.
  EXPECT_THAT(listener_.lost(), ElementsAre(Lost{0, 118, 120}));
  EXPECT_EQ(sink_.size(), 18U);
  EXPECT_EQ(server_->requests().size(), 1U);
}

TEST_F(BackfillWorkerTest, UnknownSymbolGivesUpItsWholeRange) {
  serve({"BTCUSDT"}, 1, 100);
  auto backfill = worker({"BTCUSDT", "NOPEUSDT"}, system_clock_);
  backfill->request(1, 10, 20);
  ASSERT_TRUE(eventually([&] { return backfill->pending_ids() == 0; }));
  backfill->stop();
  EXPECT_THAT(listener_.lost(), ElementsAre(Lost{1, 10, 20}));
  EXPECT_EQ(sink_.size(), 0U);
}

TEST_F(BackfillWorkerTest, RefusedRecordIsFetchedAgainLater) {
  serve({"BTCUSDT"}, 1, 100);
  CollectingSink refusing(2);
  RouteTable routes({"BTCUSDT"});
  BackfillWorker backfill(BackfillOptions{.base_url = server_->url("")}, {"BTCUSDT"}, routes, refusing,
                          [] { return make_http_client({}); }, system_clock_, metrics_, metrics_, listener_);
  backfill.request(0, 1, 10);
  ASSERT_TRUE(eventually([&] { return backfill.pending_ids() == 0; }));
  backfill.stop();
  std::vector<std::int64_t> ids;
  for (const testing::TakenRecord& record : refusing.records()) ids.push_back(record.trade_id);
  EXPECT_THAT(ids, ElementsAre(1, 2, 3, 4, 5, 6, 7, 8, 9, 10));
  EXPECT_THAT(targets(), ElementsAre("/api/v3/historicalTrades?symbol=BTCUSDT&fromId=1&limit=10",
                                     "/api/v3/historicalTrades?symbol=BTCUSDT&fromId=3&limit=8"));
}

TEST_F(BackfillWorkerTest, SymbolsTakeTurnsPageByPage) {
  serve({"BTCUSDT", "ETHUSDT"}, 1, 100'000);
  auto backfill = worker({"BTCUSDT", "ETHUSDT"}, system_clock_);
  backfill->request(0, 1, 5000);
  backfill->request(1, 1, 10);
  ASSERT_TRUE(eventually([&] { return backfill->pending_ids() == 0; }));
  backfill->stop();
  const std::vector<std::string> sent = targets();
  ASSERT_EQ(sent.size(), 6U);
  const auto eth = std::find(sent.begin(), sent.end(), "/api/v3/historicalTrades?symbol=ETHUSDT&fromId=1&limit=10");
  ASSERT_NE(eth, sent.end());
  EXPECT_LT(eth - sent.begin(), 2);
}

TEST_F(BackfillWorkerTest, FetchesNothingWhileTheSpoolCannotWrite) {
  serve({"BTCUSDT"}, 1, 100);
  std::atomic<bool> room{false};
  std::atomic<int> asked{0};
  auto backfill = worker({"BTCUSDT"}, system_clock_, "", [&] {
    ++asked;
    return room.load();
  });
  backfill->request(0, 1, 10);
  // Asked twice: the worker had the job, found no room, waited, and found none again.
  ASSERT_TRUE(eventually([&] { return asked.load() >= 2; }));
  EXPECT_TRUE(server_->requests().empty());
  EXPECT_EQ(backfill->pending_ids(), 10U);
  room = true;
  ASSERT_TRUE(eventually([&] { return sink_.size() == 10; }));
  backfill->stop();
  EXPECT_EQ(server_->requests().size(), 1U);
}

TEST_F(BackfillWorkerTest, StopInterruptsALongRetryAfterAtOnce) {
  serve({"BTCUSDT"}, 1, 100);
  exchange_->script({.status = 418, .headers = {{"Retry-After", "3600"}}});
  auto backfill = worker({"BTCUSDT"}, system_clock_);
  backfill->request(0, 1, 10);
  // Counted as the answer is handled, just before the worker waits out the Retry-After.
  ASSERT_TRUE(eventually([&] { return metrics_.backfill_rate_limited.load() == 1; }));
  const auto start = std::chrono::steady_clock::now();
  backfill->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 500ms);
  EXPECT_EQ(backfill->pending_ids(), 10U);
  backfill->stop();  // idempotent
  EXPECT_EQ(server_->requests().size(), 1U);
}

TEST_F(BackfillWorkerTest, DefaultClientVerifiesTlsWithTheConfiguredCaFile) {
  testing::TempDir dir;
  auto ca = testing::make_test_ca(dir.path(), "ca");
  ASSERT_TRUE(ca);
  auto cert = testing::make_test_server_cert(dir.path(), "server", *ca, "DNS:localhost,IP:127.0.0.1");
  ASSERT_TRUE(cert);
  const testing::TlsFiles tls{cert->cert, cert->key};
  FakeExchange exchange({"BTCUSDT"}, 1, 100);
  LoopbackHttpServer server([&](const ReceivedRequest& request) { return exchange.answer(request); }, &tls);
  RouteTable routes({"BTCUSDT"});
  BackfillWorker backfill(BackfillOptions{.base_url = server.url(""), .ca_file = ca->cert.string()}, {"BTCUSDT"},
                          routes, sink_, HttpClientFactory{}, system_clock_, metrics_, metrics_, listener_);
  backfill.request(0, 5, 9);
  ASSERT_TRUE(eventually([&] { return sink_.size() == 5; }));
  backfill.stop();
}

}  // namespace
}  // namespace mc
