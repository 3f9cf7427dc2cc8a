// Asking the exchange for a range's ids (src/audit/exchange_ids.cpp), against scripted answers on
// a loopback server, with a fake clock that the audit's waits move.
#include "audit/exchange_ids.hpp"

#include <deque>
#include <mutex>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "../net/loopback_http_server.hpp"
#include "support/fake_clock.hpp"

namespace mc {
namespace {

using ::testing::HasSubstr;
using testing::LoopbackHttpServer;
using testing::ReceivedRequest;
using testing::ScriptedResponse;

constexpr std::int64_t kFrom = 1'795'582'800'000;  // 2026-11-25T05:00:00Z
constexpr std::int64_t kTo = kFrom + 600'000;

std::string aggregate(std::int64_t first_id, std::int64_t last_id, std::int64_t time_ms) {
  return fmt::format(R"([{{"a":{},"p":"1.0","q":"2.0","f":{},"l":{},"T":{},"m":true,"M":true}}])", first_id,
                     first_id, last_id, time_ms);
}

class ExchangeIdsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { runtime_ = new HttpRuntime(); }
  static void TearDownTestSuite() { delete runtime_; }

  ExchangeIdsTest()
      : server_([this](const ReceivedRequest&) {
          const std::lock_guard lock(mutex_);
          if (script_.empty()) return ScriptedResponse{.status = 500, .body = "script exhausted"};
          ScriptedResponse next = script_.front();
          script_.pop_front();
          return next;
        }),
        http_(make_http_client({})),
        client_(server_.url("/"), "", *http_),
        exchange_(client_, clock_, [this](std::chrono::microseconds wait) {
          slept_ += wait;
          clock_.advance(wait);
        }, 1000) {}

  void answer(std::vector<ScriptedResponse> responses) {
    const std::lock_guard lock(mutex_);
    for (ScriptedResponse& response : responses) script_.push_back(std::move(response));
  }
  std::vector<std::string> targets() const {
    std::vector<std::string> out;
    for (const ReceivedRequest& request : server_.requests()) out.push_back(request.target);
    return out;
  }

  testing::FakeClock clock_{kTo * 1000 + 3'600'000'000};
  std::chrono::microseconds slept_{0};
  std::mutex mutex_;
  std::deque<ScriptedResponse> script_;
  LoopbackHttpServer server_;
  std::unique_ptr<HttpClient> http_;
  AggTradesClient client_;
  ExchangeIds exchange_;

 private:
  static inline HttpRuntime* runtime_ = nullptr;
};

TEST_F(ExchangeIdsTest, TheRangeIsTheFirstIdAtFromToTheOneBeforeTheFirstAtTo) {
  answer({{.body = aggregate(1000, 1002, kFrom + 5)}, {.body = aggregate(1210, 1210, kTo + 40)}});
  Result<std::optional<IdRange>> range = exchange_.published("BTCUSDT", kFrom, kTo);
  ASSERT_TRUE(range) << range.status().message();
  EXPECT_EQ(*range, (IdRange{1000, 1209}));
  EXPECT_EQ(targets(), (std::vector<std::string>{
                           fmt::format("/api/v3/aggTrades?symbol=BTCUSDT&startTime={}&limit=1", kFrom),
                           fmt::format("/api/v3/aggTrades?symbol=BTCUSDT&startTime={}&limit=1", kTo)}));
}

TEST_F(ExchangeIdsTest, WithoutATradeAfterToTheRangeEndsAtTheNewest) {
  answer({{.body = aggregate(1000, 1000, kFrom)}, {.body = "[]"}, {.body = aggregate(1498, 1500, kTo - 10)}});
  Result<std::optional<IdRange>> range = exchange_.published("BTCUSDT", kFrom, kTo);
  ASSERT_TRUE(range) << range.status().message();
  EXPECT_EQ(*range, (IdRange{1000, 1500}));
  EXPECT_EQ(targets().back(), "/api/v3/aggTrades?symbol=BTCUSDT&limit=1");
}

TEST_F(ExchangeIdsTest, ARangeWithoutTradesAfterFromIsEmptyAfterTwoRequests) {
  answer({{.body = "[]"}, {.body = aggregate(990, 999, kFrom - 1)}});
  Result<std::optional<IdRange>> range = exchange_.published("BTCUSDT", kFrom, kTo);
  ASSERT_TRUE(range) << range.status().message();
  EXPECT_EQ(*range, std::nullopt);
  EXPECT_EQ(exchange_.requests(), 2U);
}

TEST_F(ExchangeIdsTest, AQuietHourAfterAnInstantIsSteppedOver) {
  // Nothing within Binance's window after to, but a newer trade exists: the next hour has it.
  answer({{.body = "[]"}, {.body = aggregate(1300, 1300, kTo + 9'000'000)}, {.body = aggregate(1210, 1210, kTo + 3'700'000)}});
  Result<IdsAt> at = exchange_.ids_at("BTCUSDT", kTo);
  ASSERT_TRUE(at) << at.status().message();
  EXPECT_EQ(at->first_at_or_after, 1210);
  EXPECT_EQ(targets().back(), fmt::format("/api/v3/aggTrades?symbol=BTCUSDT&startTime={}&limit=1", kTo + 3'600'000));
}

TEST_F(ExchangeIdsTest, ASilenceLongerThanTheAuditStepsOverIsNamed) {
  std::vector<ScriptedResponse> pages{{.body = "[]"}, {.body = aggregate(9000, 9000, kTo + 100 * 3'600'000LL)}};
  pages.resize(2 + kMaxQuietHours, {.body = "[]"});
  answer(pages);
  Result<IdsAt> at = exchange_.ids_at("BTCUSDT", kTo);
  ASSERT_FALSE(at);
  EXPECT_EQ(at.status().kind(), ErrorKind::kCorrupt);
  EXPECT_THAT(at.status().message(), HasSubstr("no trade found at or after"));
  EXPECT_THAT(at.status().message(), HasSubstr("the newest, id 9000"));
  EXPECT_EQ(exchange_.requests(), static_cast<std::uint64_t>(2 + kMaxQuietHours));
}

TEST_F(ExchangeIdsTest, RateLimitedWaitsRetryAfterThenAsksAgain) {
  answer({{.status = 429, .headers = {{"Retry-After", "7"}}, .body = R"({"code":-1003,"msg":"Too many"})"},
          {.body = aggregate(1000, 1000, kFrom)}});
  Result<IdsAt> at = exchange_.ids_at("BTCUSDT", kFrom);
  ASSERT_TRUE(at) << at.status().message();
  EXPECT_EQ(at->first_at_or_after, 1000);
  EXPECT_GE(slept_, std::chrono::seconds(7));
  EXPECT_EQ(exchange_.requests(), 2U);
}

TEST_F(ExchangeIdsTest, ABanLongerThanTheAuditWaitsFailsNamingIt) {
  answer({{.status = 418, .headers = {{"Retry-After", "3600"}}}});
  Result<IdsAt> at = exchange_.ids_at("BTCUSDT", kFrom);
  ASSERT_FALSE(at);
  EXPECT_EQ(at.status().kind(), ErrorKind::kRetryable);
  EXPECT_THAT(at.status().message(), HasSubstr("HTTP 418 (IP banned), Retry-After 3600 s"));
  EXPECT_EQ(slept_, std::chrono::microseconds(0));
}

TEST_F(ExchangeIdsTest, ServerErrorsAreRetriedThenNamed) {
  answer(std::vector<ScriptedResponse>(kMaxExchangeAttempts, {.status = 503}));
  Result<IdsAt> at = exchange_.ids_at("BTCUSDT", kFrom);
  ASSERT_FALSE(at);
  EXPECT_EQ(at.status().kind(), ErrorKind::kRetryable);
  EXPECT_THAT(at.status().message(), HasSubstr("after 4 request(s)"));
  EXPECT_THAT(at.status().message(), HasSubstr("HTTP 503"));
  EXPECT_EQ(exchange_.requests(), static_cast<std::uint64_t>(kMaxExchangeAttempts));
}

TEST_F(ExchangeIdsTest, GarbageIsNotRetriedAndIsNamed) {
  answer({{.body = "<html>oops</html>"}});
  Result<IdsAt> at = exchange_.ids_at("BTCUSDT", kFrom);
  ASSERT_FALSE(at);
  EXPECT_EQ(at.status().kind(), ErrorKind::kCorrupt);
  EXPECT_THAT(at.status().message(), HasSubstr("not valid JSON"));
  EXPECT_EQ(exchange_.requests(), 1U);
}

TEST_F(ExchangeIdsTest, TheWeightBudgetSpacesRequests) {
  // 1000 weight a minute at 4 a request: the 251st request waits for the next minute.
  std::vector<ScriptedResponse> pages(251, {.body = aggregate(1000, 1000, kFrom)});
  answer(pages);
  for (int i = 0; i < 250; ++i) ASSERT_TRUE(exchange_.ids_at("BTCUSDT", kFrom));
  EXPECT_EQ(slept_, std::chrono::microseconds(0));
  ASSERT_TRUE(exchange_.ids_at("BTCUSDT", kFrom));
  EXPECT_GT(slept_, std::chrono::microseconds(0));
}

TEST_F(ExchangeIdsTest, AnUnreachableExchangeIsAskedOnceForAllSymbols) {
  answer(std::vector<ScriptedResponse>(kMaxExchangeAttempts, {.status = 502}));
  const ExchangeTruth truth = ask_exchange(exchange_, {"BTCUSDT", "ETHUSDT"}, kFrom, kTo);
  ASSERT_EQ(truth.size(), 2U);
  EXPECT_THAT(truth.at("BTCUSDT").failure, HasSubstr("HTTP 502"));
  EXPECT_THAT(truth.at("ETHUSDT").failure, HasSubstr("not asked after an earlier failure"));
  EXPECT_EQ(exchange_.requests(), static_cast<std::uint64_t>(kMaxExchangeAttempts));
}

TEST_F(ExchangeIdsTest, AnUnknownSymbolFailsAloneAndTheOthersAreAsked) {
  answer({{.status = 400, .body = R"({"code":-1121,"msg":"Invalid symbol."})"},
          {.body = aggregate(1000, 1000, kFrom)},
          {.body = aggregate(1100, 1100, kTo)}});
  const ExchangeTruth truth = ask_exchange(exchange_, {"NOPEUSDT", "ETHUSDT"}, kFrom, kTo);
  EXPECT_THAT(truth.at("NOPEUSDT").failure, HasSubstr("NOPEUSDT is unknown to the exchange"));
  EXPECT_TRUE(truth.at("ETHUSDT").failure.empty());
  EXPECT_EQ(truth.at("ETHUSDT").ids, (IdRange{1000, 1099}));
}

}  // namespace
}  // namespace mc
