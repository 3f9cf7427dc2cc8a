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
  EXPECT_EQ(RouteTable::data_symbol(routes.unroutable_quarantine_route()), std::nullopt);
  // One past the symbols: the caller's bounds check is what refuses it.
  EXPECT_EQ(RouteTable::data_symbol(routes.data_route(2)), 2U);
}

// SYMBOL=ALL: a listing appends its routes; every route the table had keeps its number and meaning.
TEST(RouteTableTest, AddingASymbolKeepsEveryRoute) {
  RouteTable routes({"BTCUSDT", "ETHUSDT"});
  const std::vector<Route> before = routes.routes();
  routes.add("NEWUSDT");
  ASSERT_EQ(routes.routes().size(), 7U);
  EXPECT_EQ(routes.symbols(), 3U);
  for (std::size_t i = 0; i < before.size(); ++i) EXPECT_EQ(routes.routes()[i].symbol, before[i].symbol);
  EXPECT_EQ(routes.routes()[RouteTable::data_route(2)].symbol, "NEWUSDT");
  EXPECT_EQ(routes.routes()[RouteTable::data_route(2)].kind, PartKind::kData);
  EXPECT_EQ(routes.routes()[RouteTable::quarantine_route(2)].kind, PartKind::kQuarantine);
  EXPECT_EQ(routes.routes()[RouteTable::unroutable_quarantine_route()].symbol, "UNKNOWN");
}

}  // namespace
}  // namespace mc
