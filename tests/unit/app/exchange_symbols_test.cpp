#include "app/exchange_symbols.hpp"

#include <gtest/gtest.h>

#include "../aws/scripted_http_client.hpp"

namespace mc {
namespace {

using testing::http_response;

constexpr const char* kUrl = "https://api.example/api/v3/exchangeInfo";
constexpr const char* kBody = R"({"symbols":[{"symbol":"BTCUSDT","status":"TRADING"},
    {"symbol":"ETHUSDT","status":"TRADING"},{"symbol":"LUNAUSDT","status":"BREAK"}]})";

class ExchangeSymbolsTest : public ::testing::Test {
 protected:
  Result<ShardSymbols> fetch(Result<HttpResponse> answer, Shard shard = {}, const std::string& key = "") {
    script_->expect("GET", kUrl, std::move(answer));
    const std::unique_ptr<HttpClient> http = script_->client();
    return fetch_shard_symbols(*http, "https://api.example/", key, shard);
  }

  std::shared_ptr<testing::HttpScript> script_ = std::make_shared<testing::HttpScript>();
};

// BTCUSDT goes to shard 1 of 2, ETHUSDT to shard 0 (ShardTest pins the weights).
TEST_F(ExchangeSymbolsTest, KeepsThisShardsTradingSymbols) {
  const Result<ShardSymbols> all = fetch(http_response(200, kBody), {}, "k3y");
  ASSERT_TRUE(all) << all.status().message();
  EXPECT_EQ(all->symbols, (std::vector<std::string>{"BTCUSDT", "ETHUSDT"}));
  EXPECT_EQ(all->trading, 2U);
  EXPECT_EQ(script_->requests().at(0).header("X-MBX-APIKEY"), "k3y");
  const Result<ShardSymbols> shard0 = fetch(http_response(200, kBody), {0, 2});
  ASSERT_TRUE(shard0);
  EXPECT_EQ(shard0->symbols, (std::vector<std::string>{"ETHUSDT"}));
  EXPECT_EQ(shard0->trading, 2U);
  EXPECT_FALSE(script_->requests().at(1).header("X-MBX-APIKEY"));
}

// What may pass is retried by the caller; a wrong URL or a body that is no list is said plainly.
TEST_F(ExchangeSymbolsTest, ClassifiesFailuresAndNamesThem) {
  const struct {
    Result<HttpResponse> answer;
    ErrorKind kind;
    const char* says;
  } cases[] = {
      {http_response(503, "busy"), ErrorKind::kRetryable, "exchangeInfo: HTTP 503 from https://api.example: busy"},
      {http_response(429, "{}"), ErrorKind::kRetryable, "HTTP 429"},
      {http_response(418, "{}"), ErrorKind::kRetryable, "HTTP 418"},
      {http_response(404, "<html>"), ErrorKind::kFatal, "HTTP 404"},
      {Status::retryable("GET api.example: Couldn't connect"), ErrorKind::kRetryable, "exchangeInfo"},
      {http_response(200, "{\"symbols\":7}"), ErrorKind::kCorrupt, "no \"symbols\" array"},
  };
  for (const auto& bad : cases) {
    const Result<ShardSymbols> got = fetch(bad.answer);
    ASSERT_FALSE(got) << bad.says;
    EXPECT_EQ(got.status().kind(), bad.kind) << got.status().message();
    EXPECT_NE(got.status().message().find(bad.says), std::string::npos) << got.status().message();
  }
}

}  // namespace
}  // namespace mc
