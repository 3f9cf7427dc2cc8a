#include "feed/symbol_changes.hpp"

#include <gtest/gtest.h>

namespace mc {
namespace {

using Names = std::vector<std::string>;

TEST(SymbolChangesTest, NothingChangesForTheSameSetInAnotherOrder) {
  EXPECT_TRUE(diff_symbols({"BTCUSDT", "ETHUSDT"}, {"ETHUSDT", "BTCUSDT"}).empty());
  EXPECT_TRUE(diff_symbols({}, {}).empty());
}

TEST(SymbolChangesTest, ListingsInTheExchangesOrderDelistingsInOurs) {
  const SymbolChanges changes =
      diff_symbols({"BTCUSDT", "LUNAUSDT", "ETHUSDT", "FTTUSDT"}, {"NEWUSDT", "ETHUSDT", "BTCUSDT", "ABCUSDT"});
  EXPECT_EQ(changes.listed, (Names{"NEWUSDT", "ABCUSDT"}));
  EXPECT_EQ(changes.delisted, (Names{"LUNAUSDT", "FTTUSDT"}));
  EXPECT_FALSE(changes.empty());
}

TEST(SymbolChangesTest, EverythingNewOrEverythingGone) {
  EXPECT_EQ(diff_symbols({}, {"BTCUSDT"}).listed, (Names{"BTCUSDT"}));
  EXPECT_EQ(diff_symbols({"BTCUSDT"}, {}).delisted, (Names{"BTCUSDT"}));
}

}  // namespace
}  // namespace mc
