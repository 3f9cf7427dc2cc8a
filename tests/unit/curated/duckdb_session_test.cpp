#include "curated/duckdb_session.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "curated/curated_sql.hpp"
#include "support/temp_dir.hpp"

namespace mc {
namespace {

using ::testing::HasSubstr;

TEST(DuckDbSessionTest, AMissingLibraryNamesItsPathWhatToInstallAndTheVariable) {
  const Result<DuckDbSession> session = DuckDbSession::open("/nonexistent/libduckdb.so", {});
  ASSERT_FALSE(session);
  EXPECT_EQ(session.status().kind(), ErrorKind::kFatal);
  EXPECT_THAT(session.status().message(), HasSubstr("/nonexistent/libduckdb.so"));
  EXPECT_THAT(session.status().message(), HasSubstr("scripts/install-deps.sh"));
  EXPECT_THAT(session.status().message(), HasSubstr("MC_LIBDUCKDB"));
}

TEST(DuckDbSessionTest, ALibraryWithoutTheCApiIsRefused) {
  const Result<DuckDbSession> session = DuckDbSession::open("libm.so.6", {});
  ASSERT_FALSE(session);
  EXPECT_THAT(session.status().message(), HasSubstr("MC_LIBDUCKDB"));
}

// The library scripts/install-deps.sh installs: the embedded SQL runs on it, and vwap rounds half up
// on integers (DuckDB alone would divide the DECIMALs into a DOUBLE).
TEST(DuckDbSessionTest, RunsTheEmbeddedSqlOnTheInstalledLibrary) {
  const testing::TempDir dir;
  Result<DuckDbSession> session = DuckDbSession::open(default_duckdb_library(), {.temp_directory = dir.path()});
  ASSERT_TRUE(session) << session.status().message();
  EXPECT_THAT(session->version(), HasSubstr("v1.4"));
  // Two trades in one second: vwap = (1 * 0.3 + 2 * 0.4) / 0.7 = 1.571428571428..., and a third alone
  // whose vwap is its price; prices with 8 decimals.
  ASSERT_TRUE(session->run(
      "CREATE TABLE trades_curated AS SELECT * FROM (VALUES "
      "(1::BIGINT, 1.00000000::DECIMAL(18,8), 0.30000000::DECIMAL(18,8), TIMESTAMP '2025-02-09 10:00:00.100', "
      "false, 'BTCUSDT', '2025-02-09'), "
      "(2::BIGINT, 2.00000000::DECIMAL(18,8), 0.40000000::DECIMAL(18,8), TIMESTAMP '2025-02-09 10:00:00.900', "
      "true, 'BTCUSDT', '2025-02-09'), "
      "(3::BIGINT, 0.00000003::DECIMAL(18,8), 0.00000001::DECIMAL(18,8), TIMESTAMP '2025-02-09 10:00:01.000', "
      "false, 'BTCUSDT', '2025-02-09')) "
      "AS t(trade_id, price, qty, trade_time, is_buyer_maker, symbol, dt)"));
  Result<std::vector<DuckDbRow>> rows = session->query(
      "SELECT open_time_ms, open, close, volume, quote_volume, taker_buy_volume, vwap, trade_count FROM (" +
      ohlcv_1s_sql("2025-02-09") + ")");
  ASSERT_TRUE(rows) << rows.status().message();
  ASSERT_EQ(rows->size(), 2U);
  const DuckDbRow& first = rows->at(0);
  EXPECT_EQ(first[0], "1739095200000");
  EXPECT_EQ(first[1], "1.00000000");
  EXPECT_EQ(first[2], "2.00000000");
  EXPECT_EQ(first[3], "0.70000000");
  EXPECT_EQ(first[4], "1.1000000000000000");
  EXPECT_EQ(first[5], "0.30000000");
  EXPECT_EQ(first[6], "1.57142857");
  EXPECT_EQ(first[7], "2");
  EXPECT_EQ(rows->at(1)[6], "0.00000003");
  EXPECT_FALSE(session->run("SELECT * FROM no_such_table"));
}

}  // namespace
}  // namespace mc
