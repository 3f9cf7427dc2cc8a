#include "feed/exchange_info.hpp"

#include <gtest/gtest.h>

namespace mc {
namespace {

TEST(ExchangeInfoTest, KeepsTradingSymbolsInOrder) {
  const Result<ExchangeSymbols> listed = parse_exchange_info(R"({"timezone":"UTC","symbols":[
      {"symbol":"ETHBTC","status":"TRADING","filters":[{"filterType":"PRICE_FILTER"}]},
      {"symbol":"LUNABTC","status":"BREAK"},
      {"symbol":"BTCUSDT","status":"TRADING","permissions":["SPOT"]},
      {"symbol":"NEWUSDT","status":"PRE_TRADING"}]})");
  ASSERT_TRUE(listed) << listed.status().message();
  EXPECT_EQ(listed->trading, (std::vector<std::string>{"ETHBTC", "BTCUSDT"}));
  EXPECT_EQ(listed->listed, 4U);
  EXPECT_TRUE(listed->odd_names.empty());
}

TEST(ExchangeInfoTest, SkipsNamesOutsideTheSymbolGrammarAndSaysWhich) {
  const Result<ExchangeSymbols> listed = parse_exchange_info(R"({"symbols":[
      {"symbol":"BTCUSDT","status":"TRADING"},{"symbol":"btc-usdt","status":"TRADING"},
      {"symbol":"X","status":"TRADING"}]})");
  ASSERT_TRUE(listed) << listed.status().message();
  EXPECT_EQ(listed->trading, (std::vector<std::string>{"BTCUSDT"}));
  EXPECT_EQ(listed->odd_names, (std::vector<std::string>{"btc-usdt", "X"}));
}

// Each bad body is refused as a whole, with a message that says what was wrong.
TEST(ExchangeInfoTest, RefusesBadBodiesNamingTheFault) {
  const struct {
    const char* body;
    const char* says;
  } cases[] = {
      {"", "not JSON"},
      {"<html>502 Bad Gateway</html>", "not JSON"},
      {R"({"symbols":[{"symbol":"BTCUSDT","status":"TRADING"})", "not JSON"},
      {R"({"code":-1000,"msg":"oops"})", "no \"symbols\" array"},
      {R"({"symbols":{"BTCUSDT":"TRADING"}})", "no \"symbols\" array"},
      {R"({"symbols":[{"symbol":"BTCUSDT","status":"TRADING"},7]})", "symbols[1] is not an object"},
      {R"({"symbols":[{"status":"TRADING"}]})", "symbols[0] has no string \"symbol\""},
      {R"({"symbols":[{"symbol":42,"status":"TRADING"}]})", "symbols[0] has no string \"symbol\""},
      {R"({"symbols":[{"symbol":"BTCUSDT"}]})", "symbols[0] (BTCUSDT) has no string \"status\""},
      {R"({"symbols":[{"symbol":"BTCUSDT","status":"TRADING"},{"symbol":"BTCUSDT","status":"BREAK"}]})",
       "symbols[1] lists BTCUSDT a second time"},
      {R"({"symbols":[]})", "none of the 0 symbols has status TRADING"},
      {R"({"symbols":[{"symbol":"BTCUSDT","status":"BREAK"}]})", "none of the 1 symbols has status TRADING"},
  };
  for (const auto& bad : cases) {
    const Result<ExchangeSymbols> listed = parse_exchange_info(bad.body);
    ASSERT_FALSE(listed) << bad.body;
    EXPECT_EQ(listed.status().kind(), ErrorKind::kCorrupt) << bad.body;
    EXPECT_NE(listed.status().message().find(bad.says), std::string::npos)
        << bad.body << " -> " << listed.status().message();
  }
}

}  // namespace
}  // namespace mc
