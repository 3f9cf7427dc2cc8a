#include "curated/curated_manifest.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace mc {
namespace {

constexpr std::int64_t k20250209 = 1739059200000;  // 2025-02-09T00:00:00Z

SymbolDay written(std::string symbol, const std::string& day, std::int64_t first, std::int64_t last) {
  return {.symbol = std::move(symbol),
          .day = day,
          .trades = static_cast<std::uint64_t>(last - first + 1),
          .first_id = first,
          .last_id = last,
          .bars = 7,
          .files = {"trades/symbol=X/dt=" + day + "/part-0.parquet"}};
}

TEST(DayMissingTest, KeepsTheIdsBetweenTheNeighbouringDays) {
  const IdSet missing{{10, 12}, {50, 55}, {90, 95}};
  EXPECT_EQ(day_missing(missing, std::nullopt, std::nullopt), missing);
  EXPECT_EQ(day_missing(missing, 52, std::nullopt), (IdSet{{53, 55}, {90, 95}}));
  EXPECT_EQ(day_missing(missing, 11, 91), (IdSet{{12, 12}, {50, 55}, {90, 90}}));
  EXPECT_EQ(day_missing(missing, 20, 40), IdSet{});
}

class CuratedManifestTest : public ::testing::Test {
 protected:
  CuratedManifestTest() {
    days_ = curated_days(k20250209, k20250209 + 3 * kDayMs).value();
    SymbolReport btc{.symbol = "BTCUSDT"};
    btc.ids = IdSet{{100, 199}, {205, 299}, {310, 400}};
    SymbolReport eth{.symbol = "ETHUSDT"};
    eth.ids = IdSet{{1, 30}};
    report_.store = "local:/s";
    report_.prefix = "raw/";
    report_.symbols = {btc, eth};
    report_.findings.push_back({.kind = FindingKind::kInstanceStopped, .key = "i-2", .reason = "stopped"});
    written_ = {written("BTCUSDT", "2025-02-09", 100, 199), written("BTCUSDT", "2025-02-10", 205, 299),
                written("BTCUSDT", "2025-02-11", 310, 400), written("ETHUSDT", "2025-02-09", 1, 10),
                written("ETHUSDT", "2025-02-10", 11, 30)};
  }

  CuratedDays days_;
  AuditReport report_;
  std::vector<SymbolDay> written_;
};

TEST_F(CuratedManifestTest, ListsAGapUnderEveryDayItMayBelongTo) {
  const std::vector<SymbolCoverage> coverage =
      curated_coverage(days_, {"BTCUSDT", "ETHUSDT"}, report_, written_);
  ASSERT_EQ(coverage.size(), 2U);
  ASSERT_EQ(coverage[0].days.size(), 3U);
  EXPECT_EQ(coverage[0].days[0].missing, (IdSet{{200, 204}}));
  EXPECT_EQ(coverage[0].days[1].missing, (IdSet{{200, 204}, {300, 309}}));
  EXPECT_EQ(coverage[0].days[2].missing, (IdSet{{300, 309}}));
  EXPECT_TRUE(coverage[1].days[0].missing.empty());
  EXPECT_FALSE(coverage[1].days[2].written.has_value());  // ETHUSDT has no trade on the third day
  EXPECT_FALSE(curated_complete(coverage));
}

TEST_F(CuratedManifestTest, CompleteWhenEveryDayHasTradesAndNoGap) {
  report_.symbols[0].ids = IdSet{{100, 400}};
  written_[1] = written("BTCUSDT", "2025-02-10", 200, 309);
  const std::vector<SymbolCoverage> coverage = curated_coverage(days_, {"BTCUSDT"}, report_, written_);
  EXPECT_TRUE(curated_complete(coverage));
}

TEST_F(CuratedManifestTest, WritesTheRangeTheDaysTheFilesAndTheGaps) {
  const std::vector<SymbolCoverage> coverage =
      curated_coverage(days_, {"BTCUSDT", "ETHUSDT", "SOLUSDT"}, report_, written_);
  const std::string text = curated_manifest_json(days_, report_, coverage, "DuckDB v1.4.4");
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  const nlohmann::json manifest = nlohmann::json::parse(text);
  EXPECT_EQ(manifest["from"], "2025-02-09T00:00:00.000Z");
  EXPECT_EQ(manifest["to"], "2025-02-12T00:00:00.000Z");
  EXPECT_EQ(manifest["days"].size(), 3U);
  EXPECT_EQ(manifest["complete"], false);
  EXPECT_EQ(manifest["engine"], "DuckDB v1.4.4");
  EXPECT_EQ(manifest["findings"][0]["kind"], "instance_stopped");
  const nlohmann::json& btc = manifest["symbols"][0];
  EXPECT_EQ(btc["symbol"], "BTCUSDT");
  EXPECT_EQ(btc["first_id"], 100);
  EXPECT_EQ(btc["last_id"], 400);
  EXPECT_EQ(btc["missing"], 15);
  EXPECT_EQ(btc["missing_ranges"], nlohmann::json::parse("[[200,204],[300,309]]"));
  EXPECT_EQ(btc["days"][1]["dt"], "2025-02-10");
  EXPECT_EQ(btc["days"][1]["trades"], 95);
  EXPECT_EQ(btc["days"][1]["bars"], 7);
  EXPECT_EQ(btc["days"][1]["missing"], 15);
  EXPECT_EQ(btc["days"][1]["files"][0], "trades/symbol=X/dt=2025-02-10/part-0.parquet");
  const nlohmann::json& sol = manifest["symbols"][2];  // configured, never stored
  EXPECT_EQ(sol["ids"], 0);
  EXPECT_TRUE(sol["first_id"].is_null());
  EXPECT_EQ(sol["days"][0]["trades"], 0);
}

}  // namespace
}  // namespace mc
