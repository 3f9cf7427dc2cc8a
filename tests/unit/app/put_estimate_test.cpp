#include "app/put_estimate.hpp"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace mc {
namespace {

using ::testing::HasSubstr;

SymbolWindows same_window(std::size_t symbols, std::uint32_t secs) {
  SymbolWindows windows;
  for (std::size_t i = 0; i < symbols; ++i) windows.emplace("SYM" + std::to_string(i), secs);
  return windows;
}

// The figures of docs/FLEET.md's table.
TEST(PutEstimateTest, TwoPutsPerSymbolPerWindowPlusOneHeadAMinute) {
  const PutEstimate one = estimate_daily_puts(same_window(1, 5));
  EXPECT_EQ(one.parts_and_manifests, 34'560u);  // 17,280 windows
  EXPECT_EQ(one.heads, 1'440u);
  EXPECT_EQ(one.puts_per_day(), 36'000u);

  const PutEstimate thousand = estimate_daily_puts(same_window(1000, 5));
  EXPECT_EQ(thousand.puts_per_day(), 34'561'440u);
  EXPECT_NEAR(thousand.cost_usd_per_day(), 172.8072, 1e-9);

  const PutEstimate slow = estimate_daily_puts(same_window(1000, 60));
  EXPECT_EQ(slow.puts_per_day(), 2'881'440u);
  EXPECT_NEAR(slow.cost_usd_per_day(), 14.4072, 1e-9);
}

TEST(PutEstimateTest, EachSymbolCountsWithItsOwnWindow) {
  SymbolWindows windows = same_window(998, 60);
  windows.emplace("BTCUSDT", 5);
  windows.emplace("ETHUSDT", 5);
  const PutEstimate mixed = estimate_daily_puts(windows);
  EXPECT_EQ(mixed.parts_and_manifests, 998u * 2 * 1440 + 2u * 2 * 17280);
  EXPECT_EQ(mixed.shortest_window_secs, 5u);
  EXPECT_EQ(mixed.longest_window_secs, 60u);
  EXPECT_EQ(estimate_daily_puts(same_window(1, 86400)).parts_and_manifests, 2u);
}

TEST(PutEstimateTest, NoSymbolsNoPuts) { EXPECT_EQ(estimate_daily_puts({}).puts_per_day(), 0u); }

TEST(PutEstimateTest, TheLogLineCarriesTheFiguresAsFields) {
  const std::string line = describe(estimate_daily_puts(same_window(1000, 5)));
  EXPECT_THAT(line, HasSubstr("expected puts_per_day=34561440 (parts+manifests, every window with trades"));
  EXPECT_THAT(line, HasSubstr("cost_usd_per_day=172.81 at $0.005/1000"));
  EXPECT_THAT(line, HasSubstr("windows_secs=5..5"));
}

}  // namespace
}  // namespace mc
