// GET /api/v3/aggTrades (src/backfill/agg_trades.cpp): the request, and every kind of answer.
#include "backfill/agg_trades.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "../net/loopback_http_server.hpp"

namespace mc {
namespace {

using ::testing::HasSubstr;
using testing::LoopbackHttpServer;
using testing::ReceivedRequest;
using testing::ScriptedResponse;

constexpr const char* kOneAggregate =
    R"([{"a":26129,"p":"0.01633102","q":"4.70443515","f":27781,"l":27783,"T":1498793709153,"m":true,"M":true}])";

class AggTradesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { runtime_ = new HttpRuntime(); }
  static void TearDownTestSuite() { delete runtime_; }

  Result<AggTradesAnswer> fetch_with(ScriptedResponse response, std::optional<std::int64_t> start = 1498793709000) {
    server_ = std::make_unique<LoopbackHttpServer>([response](const ReceivedRequest&) { return response; });
    http_ = make_http_client({});
    AggTradesClient client(server_->url("/"), "", *http_);
    return client.fetch("BTCUSDT", start, 1);
  }

  std::unique_ptr<LoopbackHttpServer> server_;
  std::unique_ptr<HttpClient> http_;

 private:
  static inline HttpRuntime* runtime_ = nullptr;
};

TEST_F(AggTradesTest, FirstAggregateAtStartTimeGivesItsTradeIds) {
  Result<AggTradesAnswer> answer = fetch_with({.headers = {{"X-MBX-USED-WEIGHT-1M", "12"}}, .body = kOneAggregate});
  ASSERT_TRUE(answer) << answer.status().message();
  EXPECT_EQ(answer->kind, TradesAnswerKind::kPage);
  ASSERT_EQ(answer->trades.size(), 1U);
  EXPECT_EQ(answer->trades[0].agg_id, 26129);
  EXPECT_EQ(answer->trades[0].first_id, 27781);
  EXPECT_EQ(answer->trades[0].last_id, 27783);
  EXPECT_EQ(answer->trades[0].time_ms, 1498793709153);
  EXPECT_EQ(answer->used_weight, 12U);
  EXPECT_EQ(server_->requests().at(0).target, "/api/v3/aggTrades?symbol=BTCUSDT&startTime=1498793709000&limit=1");
}

TEST_F(AggTradesTest, WithoutStartTimeAsksForTheNewest) {
  ASSERT_TRUE(fetch_with({.body = "[]"}, std::nullopt));
  EXPECT_EQ(server_->requests().at(0).target, "/api/v3/aggTrades?symbol=BTCUSDT&limit=1");
}

TEST_F(AggTradesTest, EmptyArrayIsAnEmptyPage) {
  Result<AggTradesAnswer> answer = fetch_with({.body = "[]"});
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->kind, TradesAnswerKind::kPage);
  EXPECT_TRUE(answer->trades.empty());
}

TEST_F(AggTradesTest, GarbageIsCorruptAndNamesTheRequest) {
  Result<AggTradesAnswer> answer = fetch_with({.body = "<html>502 Bad Gateway</html>"});
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.status().kind(), ErrorKind::kCorrupt);
  EXPECT_THAT(answer.status().message(), HasSubstr("aggTrades symbol=BTCUSDT startTime=1498793709000"));
  EXPECT_THAT(answer.status().message(), HasSubstr("not valid JSON"));
}

TEST_F(AggTradesTest, RateLimitedAndBannedCarryRetryAfter) {
  Result<AggTradesAnswer> limited = fetch_with({.status = 429, .headers = {{"Retry-After", "7"}}});
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->kind, TradesAnswerKind::kRateLimited);
  EXPECT_EQ(limited->retry_after, std::chrono::seconds(7));
  Result<AggTradesAnswer> banned = fetch_with({.status = 418, .headers = {{"Retry-After", "600"}}});
  ASSERT_TRUE(banned);
  EXPECT_EQ(banned->kind, TradesAnswerKind::kBanned);
  EXPECT_EQ(banned->retry_after, std::chrono::seconds(600));
}

TEST_F(AggTradesTest, ServerErrorIsRetryableWithTheStatus) {
  Result<AggTradesAnswer> answer = fetch_with({.status = 503, .body = R"({"code":-1000,"msg":"unknown"})"});
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.status().kind(), ErrorKind::kRetryable);
  EXPECT_THAT(answer.status().message(), HasSubstr("HTTP 503 code=-1000"));
}

TEST_F(AggTradesTest, BadParameterIsFatalWithTheExchangeCode) {
  Result<AggTradesAnswer> answer = fetch_with(
      {.status = 400, .body = R"({"code":-1100,"msg":"Illegal characters found in parameter 'startTime'."})"});
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.status().kind(), ErrorKind::kFatal);
  EXPECT_THAT(answer.status().message(), HasSubstr("HTTP 400 code=-1100"));
  EXPECT_THAT(answer.status().message(), HasSubstr("startTime"));
}

TEST_F(AggTradesTest, UnknownSymbolIsNoSuchSymbol) {
  Result<AggTradesAnswer> answer = fetch_with({.status = 400, .body = R"({"code":-1121,"msg":"Invalid symbol."})"});
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->kind, TradesAnswerKind::kNoSuchSymbol);
}

TEST(ParseAggTrades, RefusesRowsThatCannotBeTheAnswer) {
  const auto error_of = [](std::string_view body, std::optional<std::int64_t> start = 100, int limit = 2) {
    Result<std::vector<AggTrade>> parsed = parse_agg_trades(body, start, limit);
    EXPECT_FALSE(parsed) << body;
    return parsed ? std::string() : parsed.status().message();
  };
  EXPECT_THAT(error_of(R"({"a":1})"), HasSubstr("not a JSON array"));
  EXPECT_THAT(error_of(R"([1])"), HasSubstr("row 0: not an object"));
  EXPECT_THAT(error_of(R"([{"a":1,"l":5,"T":100}])"), HasSubstr("row 0: f missing"));
  EXPECT_THAT(error_of(R"([{"a":1,"f":-5,"l":5,"T":100}])"), HasSubstr("row 0: f missing or not a non-negative"));
  EXPECT_THAT(error_of(R"([{"a":1,"f":6,"l":5,"T":100}])"), HasSubstr("l 5 is below f 6"));
  EXPECT_THAT(error_of(R"([{"a":1,"f":5,"l":5,"T":99}])"), HasSubstr("T 99 is before startTime"));
  EXPECT_THAT(error_of(R"([{"a":2,"f":5,"l":6,"T":100},{"a":3,"f":6,"l":7,"T":100}])"), HasSubstr("does not ascend"));
  EXPECT_THAT(error_of(R"([{"a":1,"f":5,"l":5,"T":100},{"a":2,"f":6,"l":6,"T":100}])", 100, 1),
              HasSubstr("2 rows for limit 1"));
  Result<std::vector<AggTrade>> newest = parse_agg_trades(R"([{"a":1,"f":5,"l":5,"T":1}])", std::nullopt, 1);
  ASSERT_TRUE(newest);
  EXPECT_EQ(newest->at(0).first_id, 5);
}

}  // namespace
}  // namespace mc
