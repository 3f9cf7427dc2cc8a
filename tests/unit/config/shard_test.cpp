#include "config/shard.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace mc {
namespace {

// 1,000 names shaped like Binance's: S0000USDT ... S0999USDT.
std::vector<std::string> synthetic_symbols() {
  std::vector<std::string> symbols;
  for (int i = 0; i < 1000; ++i) {
    const std::string number = std::to_string(i);
    symbols.push_back("S" + std::string(4 - number.size(), '0') + number + "USDT");
  }
  return symbols;
}

std::uint32_t owner(std::string_view symbol, std::uint32_t count) {
  const Result<std::uint32_t> shard = shard_of(symbol, count);
  EXPECT_TRUE(shard.is_ok()) << shard.status().message();
  return shard.is_ok() ? *shard : count;
}

TEST(ShardTest, ParsesIndexOverCount) {
  const Result<Shard> none = parse_shard("");
  ASSERT_TRUE(none.is_ok());
  EXPECT_EQ(none->count, 1u);
  const Result<Shard> second = parse_shard("1/3");
  ASSERT_TRUE(second.is_ok());
  EXPECT_EQ(second->index, 1u);
  EXPECT_EQ(second->count, 3u);
  EXPECT_TRUE(parse_shard("0/1").is_ok());
  EXPECT_TRUE(parse_shard("255/256").is_ok());
  for (const char* bad : {"3/3", "0/0", "1", "/3", "1/", "-1/3", "1/3/4", "a/3", " 1/3", "0/257", "1 /3"}) {
    EXPECT_FALSE(parse_shard(bad).is_ok()) << bad;
  }
  EXPECT_NE(parse_shard("3/3").status().message().find("expected i/n"), std::string::npos);
}

// The weights are the documented SHA-256 prefix: `printf 'BTCUSDT#0' | sha256sum | cut -c1-16`.
// A change here moves symbols between the shards of a running fleet.
TEST(ShardTest, WeightsAreTheFirstEightBytesOfSha256OfSymbolHashShard) {
  EXPECT_EQ(*shard_weight("BTCUSDT", 0), 0x06b790c5cf8d476eULL);
  EXPECT_EQ(*shard_weight("BTCUSDT", 1), 0x4c9b7688fc0da655ULL);
  EXPECT_EQ(*shard_weight("BTCUSDT", 2), 0x996c68050c7b5529ULL);
  EXPECT_EQ(*shard_weight("ETHUSDT", 0), 0x2a62d0d5b6ea639dULL);
  EXPECT_EQ(*shard_weight("ETHUSDT", 1), 0x19078d5d448cbef7ULL);
  EXPECT_EQ(*shard_weight("ETHUSDT", 2), 0x813922e623a991acULL);
  EXPECT_EQ(owner("BTCUSDT", 2), 1u);
  EXPECT_EQ(owner("ETHUSDT", 2), 0u);
  EXPECT_EQ(owner("BTCUSDT", 3), 2u);
  EXPECT_EQ(owner("ETHUSDT", 3), 2u);
}

TEST(ShardTest, EverySymbolInExactlyOneShardWhateverTheListAroundIt) {
  const std::vector<std::string> symbols = synthetic_symbols();
  for (const std::uint32_t count : {1u, 2u, 3u, 5u}) {
    std::vector<std::string> together;
    for (std::uint32_t index = 0; index < count; ++index) {
      const Result<std::vector<std::string>> kept = symbols_of_shard(symbols, {index, count});
      ASSERT_TRUE(kept.is_ok());
      for (const std::string& symbol : *kept) EXPECT_EQ(owner(symbol, count), index) << symbol;
      together.insert(together.end(), kept->begin(), kept->end());
    }
    std::sort(together.begin(), together.end());
    EXPECT_EQ(together, symbols) << count;
  }
  // A symbol's shard does not depend on the other symbols listed; the kept ones stay in SYMBOL's order.
  const Result<std::vector<std::string>> kept = symbols_of_shard({"ETHUSDT", "S0007USDT", "BTCUSDT"}, {2, 3});
  ASSERT_TRUE(kept.is_ok());
  std::vector<std::string> expected{"ETHUSDT"};
  if (owner("S0007USDT", 3) == 2) expected.emplace_back("S0007USDT");
  expected.emplace_back("BTCUSDT");
  EXPECT_EQ(*kept, expected);
}

TEST(ShardTest, ThousandSymbolsSpreadWithinTwentyPercentOfEvenly) {
  const std::vector<std::string> symbols = synthetic_symbols();
  for (const std::uint32_t count : {2u, 3u, 4u, 5u, 8u}) {
    std::vector<std::size_t> sizes(count, 0);
    for (const std::string& symbol : symbols) ++sizes[owner(symbol, count)];
    const double even = static_cast<double>(symbols.size()) / count;
    for (std::uint32_t index = 0; index < count; ++index) {
      EXPECT_GE(static_cast<double>(sizes[index]), 0.8 * even) << index << "/" << count;
      EXPECT_LE(static_cast<double>(sizes[index]), 1.2 * even) << index << "/" << count;
    }
  }
}

TEST(ShardTest, GrowingFromThreeToFourShardsMovesAboutAQuarterAllToTheNewShard) {
  const std::vector<std::string> symbols = synthetic_symbols();
  std::size_t moved = 0;
  for (const std::string& symbol : symbols) {
    const std::uint32_t before = owner(symbol, 3);
    const std::uint32_t after = owner(symbol, 4);
    if (before == after) continue;
    ++moved;
    EXPECT_EQ(after, 3u) << symbol << " moved between two old shards";
  }
  EXPECT_GE(moved, 200u);
  EXPECT_LE(moved, 300u);
}

}  // namespace
}  // namespace mc
