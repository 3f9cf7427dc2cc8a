#include "backfill/rest_trade_line.hpp"

#include <gtest/gtest.h>

namespace mc {
namespace {

TEST(RestTradeLine, IsExactlyTheStreamShapeWithSrcRest) {
  const RestTrade trade{.id = 28457, .price = "4.00000100", .qty = "12.00000000", .time_ms = 1499865549590,
                        .is_buyer_maker = true, .is_best_match = false};
  std::string out = "prefix|";
  append_rest_trade_line(out, trade, "BTCUSDT", 1739141034567123);
  EXPECT_EQ(out,
            "prefix|{\"recv_us\":1739141034567123,\"src\":\"rest\",\"stream\":\"btcusdt@trade\",\"data\":{\"e\":"
            "\"trade\",\"E\":1499865549590,\"s\":\"BTCUSDT\",\"t\":28457,\"p\":\"4.00000100\",\"q\":\"12.00000000\","
            "\"T\":1499865549590,\"m\":true,\"M\":false}}\n");
}

TEST(RestTradeLine, FlagsTheOtherWayRound) {
  const RestTrade trade{.id = 0, .price = "1", .qty = "2", .time_ms = 0, .is_buyer_maker = false, .is_best_match = true};
  std::string out;
  append_rest_trade_line(out, trade, "ETH2USDT", -1);
  EXPECT_EQ(out,
            "{\"recv_us\":-1,\"src\":\"rest\",\"stream\":\"eth2usdt@trade\",\"data\":{\"e\":\"trade\",\"E\":0,"
            "\"s\":\"ETH2USDT\",\"t\":0,\"p\":\"1\",\"q\":\"2\",\"T\":0,\"m\":false,\"M\":true}}\n");
}

}  // namespace
}  // namespace mc
