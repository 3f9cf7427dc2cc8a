#include "config/rot_secs_overrides.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace mc {
namespace {

using ::testing::HasSubstr;

TEST(RotSecsTest, AcceptsTheDivisorsOf86400Only) {
  for (const char* good : {"1", "5", "60", "3600", "86400"}) EXPECT_TRUE(parse_rot_secs(good).is_ok()) << good;
  for (const char* bad : {"", "0", "7", "86401", "-5", "5s", " 5"}) EXPECT_FALSE(parse_rot_secs(bad).is_ok()) << bad;
  EXPECT_THAT(parse_rot_secs("7").status().message(), HasSubstr("divides 86400"));
}

TEST(RotSecsOverridesTest, EmptyMeansEveryWindowIsRotSecs) {
  const Result<RotSecsOverrides> none = parse_rot_secs_overrides("");
  ASSERT_TRUE(none.is_ok());
  EXPECT_TRUE(none->symbols.empty());
  EXPECT_FALSE(none->default_secs);
  EXPECT_EQ(none->secs_for("BTCUSDT", 5), 5u);
}

TEST(RotSecsOverridesTest, ListedSymbolsTakeTheirWindowAndStarTheRest) {
  const Result<RotSecsOverrides> parsed = parse_rot_secs_overrides(" btcusdt:5 , ETHUSDT : 10,*:60");
  ASSERT_TRUE(parsed.is_ok()) << parsed.status().message();
  EXPECT_EQ(parsed->secs_for("BTCUSDT", 15), 5u);
  EXPECT_EQ(parsed->secs_for("ETHUSDT", 15), 10u);
  EXPECT_EQ(parsed->secs_for("BNBBTC", 15), 60u);  // "*" replaces ROT_SECS
  EXPECT_EQ(parsed->secs_by_symbol({"BNBBTC", "BTCUSDT"}, 15), (SymbolWindows{{"BNBBTC", 60}, {"BTCUSDT", 5}}));

  const Result<RotSecsOverrides> no_star = parse_rot_secs_overrides("BTCUSDT:1");
  ASSERT_TRUE(no_star.is_ok());
  EXPECT_EQ(no_star->secs_for("BTCUSDT", 15), 1u);
  EXPECT_EQ(no_star->secs_for("ETHUSDT", 15), 15u);  // ROT_SECS
}

TEST(RotSecsOverridesTest, EveryErrorNamesTheEntry) {
  const auto message = [](std::string_view text) {
    const Result<RotSecsOverrides> parsed = parse_rot_secs_overrides(text);
    EXPECT_FALSE(parsed.is_ok()) << text;
    return parsed.is_ok() ? std::string() : parsed.status().message();
  };
  EXPECT_THAT(message("BTCUSDT:5,ETHUSDT:7"), HasSubstr("entry \"ETHUSDT:7\": expected an integer from 1 to 86400 that divides 86400"));
  EXPECT_THAT(message("BTCUSDT:0"), HasSubstr("entry \"BTCUSDT:0\""));
  EXPECT_THAT(message("BTCUSDT:86401"), HasSubstr("entry \"BTCUSDT:86401\""));
  EXPECT_THAT(message("BTCUSDT"), HasSubstr("entry \"BTCUSDT\": expected SYMBOL:SECS"));
  EXPECT_THAT(message("BTC-USDT:5"), HasSubstr("entry \"BTC-USDT:5\": expected SYMBOL:SECS"));
  EXPECT_THAT(message(":5"), HasSubstr("entry \":5\""));
  EXPECT_THAT(message("BTCUSDT:5,,ETHUSDT:5"), HasSubstr("entry \"\""));
  EXPECT_THAT(message("BTCUSDT:5,"), HasSubstr("entry \"\""));
  EXPECT_THAT(message("BTCUSDT:5,btcusdt:60"), HasSubstr("entry \"btcusdt:60\": BTCUSDT appears twice"));
  EXPECT_THAT(message("*:60,BTCUSDT:60,BTCUSDT:60"), HasSubstr("BTCUSDT appears twice"));
  EXPECT_THAT(message("*:5,*:60"), HasSubstr("entry \"*:60\": a second * entry"));
}

TEST(RotSecsOverridesTest, ListedSymbolsMustBeConfigured) {
  const Result<RotSecsOverrides> parsed = parse_rot_secs_overrides("BTCUSDT:5,DOGEUSDT:60,*:60");
  ASSERT_TRUE(parsed.is_ok());
  EXPECT_TRUE(parsed->check_symbols({"BTCUSDT", "DOGEUSDT", "ETHUSDT"}).is_ok());
  const Status unknown = parsed->check_symbols({"BTCUSDT", "ETHUSDT"});
  ASSERT_FALSE(unknown.is_ok());
  EXPECT_EQ(unknown.message(), "entry \"DOGEUSDT:60\": DOGEUSDT is not one of the 2 symbols in SYMBOL");
}

}  // namespace
}  // namespace mc
