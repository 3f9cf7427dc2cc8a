#include "common/record.hpp"

#include <gtest/gtest.h>

namespace mc {
namespace {

TEST(RouteTableTest, EachSymbolHasATradeAndAQuarantineRouteAndOneRouteTakesTheUnclaimed) {
  const RouteTable routes({"BTCUSDT", "ETHUSDT"});
  ASSERT_EQ(routes.routes().size(), 5U);
  EXPECT_EQ(routes.routes()[routes.data_route(1)].symbol, "ETHUSDT");
  EXPECT_EQ(routes.routes()[routes.data_route(1)].kind, PartKind::kData);
  EXPECT_EQ(routes.routes()[routes.quarantine_route(1)].kind, PartKind::kQuarantine);
  EXPECT_EQ(routes.routes()[routes.unroutable_quarantine_route()].symbol, "UNKNOWN");
}

TEST(RouteTableTest, DataSymbolDecodesTradeRoutesOnly) {
  const RouteTable routes({"BTCUSDT", "ETHUSDT"});
  for (std::size_t symbol = 0; symbol < 2; ++symbol) {
    EXPECT_EQ(RouteTable::data_symbol(routes.data_route(symbol)), symbol);
    EXPECT_EQ(RouteTable::data_symbol(routes.quarantine_route(symbol)), std::nullopt);
  }
  // One past the symbols: the caller's bounds check is what refuses it.
  EXPECT_EQ(RouteTable::data_symbol(routes.unroutable_quarantine_route()), 2U);
}

}  // namespace
}  // namespace mc
