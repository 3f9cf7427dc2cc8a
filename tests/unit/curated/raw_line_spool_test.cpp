#include "curated/raw_line_spool.hpp"

#include <gtest/gtest.h>

#include "common/file_util.hpp"
#include "support/temp_dir.hpp"

namespace mc {
namespace {

// A part as the deep audit hands it over: its lines and where its trades are.
DeepCheck check_of(const std::vector<std::string>& lines) {
  DeepCheck check;
  for (const std::string& line : lines) {
    check.trades.push_back({.offset = check.lines.size(), .length = line.size()});
    check.lines += line + "\n";
  }
  return check;
}

TEST(RawLineSpoolTest, AppendsEachPartsTradeLinesWithItsKeyPerSymbolAndRawDay) {
  const testing::TempDir dir;
  RawLineSpool spool(dir.path());
  const std::string key1 = "raw/exchange=binance/stream=trade/symbol=BTCUSDT/dt=2025-02-09/23/59/part-a-1.jsonl.gz";
  const std::string key2 = "raw/exchange=binance/stream=trade/symbol=BTCUSDT/dt=2025-02-10/00/00/part-a-2.jsonl.gz";
  const std::string key3 = "raw/exchange=binance/stream=trade/symbol=BTCUSDT/dt=2025-02-09/23/59/part-b-1.jsonl.gz";
  spool.add_part({.symbol = "BTCUSDT", .part_key = key1}, check_of({R"({"recv_us":1,"data":{"t":1}})"}));
  spool.add_part({.symbol = "BTCUSDT", .part_key = key2}, check_of({R"({"recv_us":2,"data":{"t":2}})"}));
  spool.add_part({.symbol = "BTCUSDT", .part_key = key3}, check_of({R"({"recv_us":3,"data":{"t":1}})"}));
  ASSERT_TRUE(spool.finish());
  EXPECT_EQ(spool.parts(), 3U);
  EXPECT_EQ(spool.lines(), 3U);

  const std::vector<std::string> first = spool.files_of_days("2025-02-08", "2025-02-09");
  ASSERT_EQ(first.size(), 1U);
  EXPECT_EQ(first[0], (dir.path() / "symbol=BTCUSDT/dt=2025-02-09/lines.jsonl").string());
  EXPECT_EQ(read_file(first[0]).value(), "{\"object_key\":\"" + key1 + "\",\"recv_us\":1,\"data\":{\"t\":1}}\n" +
                                             "{\"object_key\":\"" + key3 + "\",\"recv_us\":3,\"data\":{\"t\":1}}\n");
  EXPECT_EQ(spool.files_of_days("2025-02-09", "2025-02-10").size(), 2U);
  EXPECT_TRUE(spool.files_of_days("2025-02-11", "2025-02-12").empty());
}

TEST(RawLineSpoolTest, AKeyWithoutADayIsAnError) {
  const testing::TempDir dir;
  RawLineSpool spool(dir.path());
  spool.add_part({.symbol = "BTCUSDT", .part_key = "raw/odd/part-a-1.jsonl.gz"}, check_of({"{}"}));
  const Status status = spool.finish();
  ASSERT_FALSE(status);
  EXPECT_NE(status.message().find("no dt= folder"), std::string::npos);
}

TEST(RawDayOfKeyTest, ReadsTheDtFolder) {
  EXPECT_EQ(raw_day_of_key("raw/x/symbol=A/dt=2025-02-09/23/59/part-a-1.jsonl.gz"), "2025-02-09");
  EXPECT_EQ(raw_day_of_key("raw/x/symbol=A/dt=2025"), "");
}

}  // namespace
}  // namespace mc
