#include "backfill/historical_trades.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "../net/loopback_http_server.hpp"

namespace mc {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::LoopbackHttpServer;
using testing::ReceivedRequest;
using testing::ScriptedResponse;

constexpr const char* kGoodPage =
    R"([{"id":28457,"price":"4.00000100","qty":"12.00000000","quoteQty":"48.000012","time":1499865549590,)"
    R"("isBuyerMaker":true,"isBestMatch":true},)"
    R"({"id":28458,"price":"4.1","qty":"3","quoteQty":"12.3","time":1499865549591,"isBuyerMaker":false,"isBestMatch":false}])";

class HistoricalTradesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { runtime_ = new HttpRuntime(); }
  static void TearDownTestSuite() { delete runtime_; }

  // One fetch against a server that answers every request with `response`.
  Result<TradesAnswer> fetch_with(ScriptedResponse response, std::string api_key = "") {
    server_ = std::make_unique<LoopbackHttpServer>([response](const ReceivedRequest&) { return response; });
    http_ = make_http_client({});
    HistoricalTradesClient client(server_->url("/"), std::move(api_key), *http_);
    return client.fetch("BTCUSDT", 28457, 1000);
  }

  std::unique_ptr<LoopbackHttpServer> server_;
  std::unique_ptr<HttpClient> http_;

 private:
  static inline HttpRuntime* runtime_ = nullptr;
};

TEST_F(HistoricalTradesTest, GoodPageIsParsedWithUsedWeightAndTheRightQuery) {
  Result<TradesAnswer> answer =
      fetch_with({.headers = {{"X-MBX-USED-WEIGHT-1M", "1234"}}, .body = kGoodPage}, "secret-key-123");
  ASSERT_TRUE(answer) << answer.status().message();
  EXPECT_EQ(answer->kind, TradesAnswerKind::kPage);
  EXPECT_EQ(answer->used_weight, 1234U);
  ASSERT_EQ(answer->trades.size(), 2U);
  const RestTrade& first = answer->trades[0];
  EXPECT_EQ(first.id, 28457);
  EXPECT_EQ(first.price, "4.00000100");
  EXPECT_EQ(first.qty, "12.00000000");
  EXPECT_EQ(first.time_ms, 1499865549590);
  EXPECT_TRUE(first.is_buyer_maker);
  EXPECT_TRUE(first.is_best_match);
  EXPECT_FALSE(answer->trades[1].is_buyer_maker);
  EXPECT_FALSE(answer->trades[1].is_best_match);
  const ReceivedRequest request = server_->requests().at(0);
  EXPECT_EQ(request.target, "/api/v3/historicalTrades?symbol=BTCUSDT&fromId=28457&limit=1000");
  EXPECT_EQ(request.headers.at("x-mbx-apikey"), "secret-key-123");
}

TEST_F(HistoricalTradesTest, NoApiKeyHeaderWhenNoneIsConfigured) {
  ASSERT_TRUE(fetch_with({.body = "[]"}));
  EXPECT_EQ(server_->requests().at(0).headers.count("x-mbx-apikey"), 0U);
}

TEST_F(HistoricalTradesTest, EmptyArrayIsAnEmptyPageWithoutUsedWeight) {
  Result<TradesAnswer> answer = fetch_with({.body = "[]"});
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->kind, TradesAnswerKind::kPage);
  EXPECT_TRUE(answer->trades.empty());
  EXPECT_FALSE(answer->used_weight.has_value());
}

TEST_F(HistoricalTradesTest, MalformedBodyIsCorruptAndNamesSymbolFromIdAndTheProblem) {
  Result<TradesAnswer> answer = fetch_with({.body = R"({"id":1})"}, "secret-key-123");
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.status().kind(), ErrorKind::kCorrupt);
  EXPECT_THAT(answer.status().message(), HasSubstr("symbol=BTCUSDT"));
  EXPECT_THAT(answer.status().message(), HasSubstr("fromId=28457"));
  EXPECT_THAT(answer.status().message(), HasSubstr("not a JSON array"));
  EXPECT_THAT(answer.status().message(), Not(HasSubstr("secret-key-123")));
}

TEST_F(HistoricalTradesTest, RateLimitedCarriesRetryAfter) {
  Result<TradesAnswer> answer = fetch_with(
      {.status = 429, .headers = {{"Retry-After", "7"}, {"X-MBX-USED-WEIGHT-1M", "6100"}}, .body = R"({"code":-1003,"msg":"Too many requests"})"});
  ASSERT_TRUE(answer) << answer.status().message();
  EXPECT_EQ(answer->kind, TradesAnswerKind::kRateLimited);
  EXPECT_EQ(answer->retry_after, std::chrono::seconds(7));
  EXPECT_EQ(answer->used_weight, 6100U);
}

TEST_F(HistoricalTradesTest, BannedCarriesRetryAfter) {
  Result<TradesAnswer> answer = fetch_with({.status = 418, .headers = {{"Retry-After", "120"}}});
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->kind, TradesAnswerKind::kBanned);
  EXPECT_EQ(answer->retry_after, std::chrono::seconds(120));
}

TEST_F(HistoricalTradesTest, RateLimitedWithoutRetryAfterWaitsTheDefault) {
  Result<TradesAnswer> answer = fetch_with({.status = 429});
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->retry_after, kDefaultRetryAfter);
}

TEST_F(HistoricalTradesTest, InvalidSymbolIsNoSuchSymbol) {
  Result<TradesAnswer> answer = fetch_with({.status = 400, .body = R"({"code":-1121,"msg":"Invalid symbol."})"});
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->kind, TradesAnswerKind::kNoSuchSymbol);
}

TEST_F(HistoricalTradesTest, OtherClientErrorIsFatalWithTheExchangeMessage) {
  Result<TradesAnswer> answer = fetch_with({.status = 401, .body = R"({"code":-2014,"msg":"API-key format invalid."})"}, "bad-key-987");
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.status().kind(), ErrorKind::kFatal);
  EXPECT_THAT(answer.status().message(), HasSubstr("HTTP 401 code=-2014"));
  EXPECT_THAT(answer.status().message(), HasSubstr("API-key format invalid."));
  EXPECT_THAT(answer.status().message(), Not(HasSubstr("bad-key-987")));
}

TEST_F(HistoricalTradesTest, ServerErrorIsRetryable) {
  Result<TradesAnswer> answer = fetch_with({.status = 503, .body = "<html>busy</html>"});
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.status().kind(), ErrorKind::kRetryable);
  EXPECT_THAT(answer.status().message(), HasSubstr("HTTP 503"));
}

TEST_F(HistoricalTradesTest, TransportFailureIsRetryable) {
  Result<TradesAnswer> answer = fetch_with({.reset_without_answer = true});
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.status().kind(), ErrorKind::kRetryable);
  EXPECT_THAT(answer.status().message(), HasSubstr("symbol=BTCUSDT fromId=28457"));
}

TEST_F(HistoricalTradesTest, InvalidRequestsAreRefusedBeforeSending) {
  auto http = make_http_client({});
  HistoricalTradesClient client("http://127.0.0.1:1", "", *http);
  EXPECT_EQ(client.fetch("BTCUSDT", 1, 0).status().kind(), ErrorKind::kFatal);
  EXPECT_EQ(client.fetch("BTCUSDT", 1, 1001).status().kind(), ErrorKind::kFatal);
  EXPECT_EQ(client.fetch("BTC&x=1", 1, 10).status().kind(), ErrorKind::kFatal);
  EXPECT_EQ(client.fetch("BTCUSDT", -1, 10).status().kind(), ErrorKind::kFatal);
}

std::string row(const std::string& id, const std::string& price, const std::string& qty = R"("1.0")",
                const std::string& time = "1", const std::string& maker = "true") {
  return R"({"id":)" + id + R"(,"price":)" + price + R"(,"qty":)" + qty + R"(,"quoteQty":"1","time":)" + time +
         R"(,"isBuyerMaker":)" + maker + R"(,"isBestMatch":true})";
}

TEST(ParseHistoricalTrades, RefusesBadPriceAndQtyStrings) {
  for (const char* bad : {R"("")", R"("1.")", R"(".5")", R"("-1.0")", R"("1e5")", R"("1.0\"")", R"("1,5")",
                          R"("1.2.3")", R"(" 1.0")", R"("NaN")", "1.5", "null"}) {
    const std::string body = "[" + row("5", bad) + "]";
    Result<std::vector<RestTrade>> page = parse_historical_trades(body, 5, 10);
    ASSERT_FALSE(page) << bad;
    EXPECT_EQ(page.status().kind(), ErrorKind::kCorrupt);
    EXPECT_THAT(page.status().message(), HasSubstr("row 0: price")) << bad;
    const std::string body_qty = "[" + row("5", R"("1.0")", bad) + "]";
    EXPECT_THAT(parse_historical_trades(body_qty, 5, 10).status().message(), HasSubstr("row 0: qty")) << bad;
  }
}

TEST(ParseHistoricalTrades, RefusesMalformedRowsAsAWholePage) {
  const std::string good = row("5", R"("1.0")");
  const struct {
    std::string body;
    std::string expected;
  } cases[] = {
      {"[" + good + ",7]", "row 1: not an object"},
      {"[" + good + "," + row("\"6\"", R"("1.0")") + "]", "row 1: id"},
      {"[" + good + "," + row("-6", R"("1.0")") + "]", "row 1: id"},
      {"[" + good + "," + row("6", R"("1.0")", R"("1.0")", "\"x\"") + "]", "row 1: time"},
      {"[" + good + "," + row("6", R"("1.0")", R"("1.0")", "1", "1") + "]", "row 1: isBuyerMaker"},
      {"[" + good + "," + row("5", R"("1.0")") + "]", "does not ascend"},
      {"[" + row("4", R"("1.0")") + "]", "below fromId"},
      {"[" + good + ",", "not valid JSON"},
      {R"({"code":-1,"msg":"x"})", "not a JSON array"},
      {"", "not valid JSON"},
      {"[" + good + "," + row("6", R"("1.0")") + "," + row("7", R"("1.0")") + "]", "3 rows for limit 2"},
  };
  for (const auto& c : cases) {
    Result<std::vector<RestTrade>> page = parse_historical_trades(c.body, 5, 2);
    ASSERT_FALSE(page) << c.body;
    EXPECT_EQ(page.status().kind(), ErrorKind::kCorrupt);
    EXPECT_THAT(page.status().message(), HasSubstr(c.expected)) << c.body;
  }
}

TEST(ParseHistoricalTrades, AcceptsAPageStartingAboveFromId) {
  Result<std::vector<RestTrade>> page = parse_historical_trades("[" + row("9", R"("0.5")") + "]", 5, 10);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->at(0).id, 9);
}

TEST(ParseRetryAfter, SecondsDateAndFallback) {
  EXPECT_EQ(parse_retry_after(HttpResponse{.headers = {{"retry-after", "30"}}}), std::chrono::seconds(30));
  EXPECT_EQ(parse_retry_after(HttpResponse{.headers = {{"retry-after", "Wed, 25 Nov 2026 05:22:10 GMT"},
                                                       {"date", "Wed, 25 Nov 2026 05:21:10 GMT"}}}),
            std::chrono::seconds(60));
  EXPECT_EQ(parse_retry_after(HttpResponse{.headers = {{"retry-after", "Wed, 25 Nov 2026 05:22:10 GMT"}}}),
            kDefaultRetryAfter);
  EXPECT_EQ(parse_retry_after(HttpResponse{.headers = {{"retry-after", "-5"}}}), kDefaultRetryAfter);
  EXPECT_EQ(parse_retry_after(HttpResponse{}), kDefaultRetryAfter);
}

}  // namespace
}  // namespace mc
