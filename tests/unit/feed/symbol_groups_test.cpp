#include "feed/symbol_groups.hpp"

#include <gtest/gtest.h>

namespace mc {
namespace {

// Every symbol in exactly one group, in order, the sizes at most per_connection and within one of
// each other.
void expect_even_cover(const std::vector<SymbolGroup>& groups, std::size_t symbols, std::size_t per_connection) {
  std::size_t next = 0;
  std::size_t smallest = symbols;
  std::size_t largest = 0;
  for (const SymbolGroup& group : groups) {
    EXPECT_EQ(group.first, next);
    EXPECT_GE(group.count, 1U);
    EXPECT_LE(group.count, per_connection);
    smallest = std::min(smallest, group.count);
    largest = std::max(largest, group.count);
    next += group.count;
  }
  EXPECT_EQ(next, symbols);
  EXPECT_EQ(groups.size(), (symbols + per_connection - 1) / per_connection);
  if (!groups.empty()) {
    EXPECT_LE(largest - smallest, 1U);
  }
}

TEST(SplitSymbolsTest, OneSymbolIsOneConnection) {
  EXPECT_EQ(split_symbols(1, 200), (std::vector<SymbolGroup>{{0, 1}}));
  EXPECT_EQ(split_symbols(1, 1), (std::vector<SymbolGroup>{{0, 1}}));
  EXPECT_EQ(split_symbols(1, 1024), (std::vector<SymbolGroup>{{0, 1}}));
}

TEST(SplitSymbolsTest, TwoHundredFitOneConnectionAtTheDefault) {
  EXPECT_EQ(split_symbols(200, 200), (std::vector<SymbolGroup>{{0, 200}}));
  EXPECT_EQ(split_symbols(200, 1024), (std::vector<SymbolGroup>{{0, 200}}));
}

TEST(SplitSymbolsTest, TwoHundredAndOneAreSplitEvenlyNotTwoHundredPlusOne) {
  EXPECT_EQ(split_symbols(201, 200), (std::vector<SymbolGroup>{{0, 101}, {101, 100}}));
  expect_even_cover(split_symbols(201, 200), 201, 200);
}

TEST(SplitSymbolsTest, AThousandSymbols) {
  EXPECT_EQ(split_symbols(1000, 200),
            (std::vector<SymbolGroup>{{0, 200}, {200, 200}, {400, 200}, {600, 200}, {800, 200}}));
  EXPECT_EQ(split_symbols(1000, 1024), (std::vector<SymbolGroup>{{0, 1000}}));
  EXPECT_EQ(split_symbols(1000, 300), (std::vector<SymbolGroup>{{0, 250}, {250, 250}, {500, 250}, {750, 250}}));
  const std::vector<SymbolGroup> singles = split_symbols(1000, 1);
  ASSERT_EQ(singles.size(), 1000U);
  for (std::size_t i = 0; i < singles.size(); ++i) EXPECT_EQ(singles[i], (SymbolGroup{i, 1}));
}

TEST(SplitSymbolsTest, OnePerConnectionAndTheBinanceMaximum) {
  EXPECT_EQ(split_symbols(3, 1), (std::vector<SymbolGroup>{{0, 1}, {1, 1}, {2, 1}}));
  EXPECT_EQ(split_symbols(1024, 1024), (std::vector<SymbolGroup>{{0, 1024}}));
  EXPECT_EQ(split_symbols(1025, 1024), (std::vector<SymbolGroup>{{0, 513}, {513, 512}}));
  EXPECT_EQ(split_symbols(7, 3), (std::vector<SymbolGroup>{{0, 3}, {3, 2}, {5, 2}}));
}

TEST(SplitSymbolsTest, EveryCountUpToAThousandIsCoveredEvenly) {
  for (const std::size_t per_connection : {1U, 2U, 3U, 7U, 200U, 1024U}) {
    for (std::size_t symbols = 0; symbols <= 1000; ++symbols) {
      SCOPED_TRACE(::testing::Message() << symbols << " symbols at " << per_connection);
      expect_even_cover(split_symbols(symbols, per_connection), symbols, per_connection);
    }
  }
}

TEST(SplitSymbolsTest, ContainsIsTheHalfOpenRange) {
  const SymbolGroup group{3, 2};
  EXPECT_FALSE(group.contains(2));
  EXPECT_TRUE(group.contains(3));
  EXPECT_TRUE(group.contains(4));
  EXPECT_FALSE(group.contains(5));
}

}  // namespace
}  // namespace mc
