#include "spool/part_stats.hpp"
#include "spool/part_scan.hpp"

#include <gtest/gtest.h>

#include <string>

#include "unit/spool/spool_files.hpp"

namespace mc {
namespace {

using testing::quarantine_line;
using testing::trade_line;

PartStats scan(const std::string& text, PartKind kind = PartKind::kData) {
  return scan_part(simdjson::padded_string(text), kind);
}

std::string lines_with_ids(std::initializer_list<std::int64_t> ids) {
  std::string text;
  for (const std::int64_t id : ids) text += trade_line(1'000'000 + id, 2'000 + id, id);
  return text;
}

TEST(PartStatsTest, ReportsCountsAndRanges) {
  const std::string text = trade_line(1'000'005, 105, 7) + trade_line(1'000'001, 101, 8) + trade_line(1'000'009, 110, 9);
  const PartStats stats = scan(text);
  EXPECT_EQ(stats.record_count, 3u);
  EXPECT_EQ(stats.bytes, text.size());
  EXPECT_EQ(stats.trimmed_bytes, 0u);
  EXPECT_EQ(stats.bad_lines, 0u);
  EXPECT_EQ(stats.time_min_ms, 101);
  EXPECT_EQ(stats.time_max_ms, 110);
  EXPECT_EQ(stats.id_first, 7);
  EXPECT_EQ(stats.id_last, 9);
  EXPECT_EQ(stats.recv_min_us, 1'000'001);
  EXPECT_EQ(stats.recv_max_us, 1'000'009);
  EXPECT_TRUE(stats.id_gaps.empty());
  EXPECT_FALSE(stats.id_gaps_truncated);
}

TEST(PartStatsTest, ListsMissingIdRanges) {
  const PartStats stats = scan(lines_with_ids({1, 2, 5, 6, 10, 11}));
  ASSERT_EQ(stats.id_gaps.size(), 2u);
  EXPECT_EQ(stats.id_gaps[0], (IdGap{3, 4}));
  EXPECT_EQ(stats.id_gaps[1], (IdGap{7, 9}));
}

TEST(PartStatsTest, IdsFilledOutOfOrderAreNotGaps) {
  // A REST backfill lands after later ids; duplicates come from overlapping connections.
  const PartStats stats = scan(lines_with_ids({1, 2, 5, 3, 4, 4, 6}));
  EXPECT_TRUE(stats.id_gaps.empty());
  EXPECT_EQ(stats.id_first, 1);
  EXPECT_EQ(stats.id_last, 6);
}

TEST(PartStatsTest, IdFirstAndLastAreTheSmallestAndLargestSoTheRangeMinusGapsIsThePart) {
  // Live trades, then backfilled ones from before them.
  const PartStats stats = scan(lines_with_ids({5000, 5001, 5002, 4000, 4001}));
  EXPECT_EQ(stats.id_first, 4000);
  EXPECT_EQ(stats.id_last, 5002);
  ASSERT_EQ(stats.id_gaps.size(), 1u);
  EXPECT_EQ(stats.id_gaps[0], (IdGap{4002, 4999}));
}

TEST(PartStatsTest, CapsTheGapList) {
  std::string exact;
  for (std::int64_t id = 0; id <= 2 * static_cast<std::int64_t>(kMaxIdGaps); id += 2) exact += trade_line(1, 1, id);
  const PartStats at_cap = scan(exact);
  EXPECT_EQ(at_cap.id_gaps.size(), kMaxIdGaps);
  EXPECT_FALSE(at_cap.id_gaps_truncated);

  const PartStats over = scan(exact + trade_line(1, 1, 2 * static_cast<std::int64_t>(kMaxIdGaps) + 2));
  EXPECT_EQ(over.id_gaps.size(), kMaxIdGaps);
  EXPECT_TRUE(over.id_gaps_truncated);
  EXPECT_EQ(over.id_gaps.front(), (IdGap{1, 1}));
}

TEST(PartStatsTest, TrimsATornLastLine) {
  const std::string complete = trade_line(10, 100, 1) + trade_line(11, 101, 2);
  const std::string torn = R"({"recv_us":12,"stream":"btcusdt@trade","data":{"e":"tr)";
  const PartStats stats = scan(complete + torn);
  EXPECT_EQ(stats.record_count, 2u);
  EXPECT_EQ(stats.bytes, complete.size());
  EXPECT_EQ(stats.trimmed_bytes, torn.size());
  EXPECT_EQ(stats.bad_lines, 0u);
  EXPECT_EQ(stats.id_last, 2);
  EXPECT_EQ(stats.recv_max_us, 11);
}

TEST(PartStatsTest, AFileWithoutACompleteLineHoldsNothing) {
  const PartStats torn = scan(R"({"recv_us":12,"str)");
  EXPECT_EQ(torn.record_count, 0u);
  EXPECT_EQ(torn.bytes, 0u);
  EXPECT_EQ(torn.trimmed_bytes, 18u);
  EXPECT_FALSE(torn.id_first);

  const PartStats empty = scan("");
  EXPECT_EQ(empty.record_count, 0u);
  EXPECT_EQ(empty.trimmed_bytes, 0u);
}

TEST(PartStatsTest, CountsBadLinesAndKeepsGoing) {
  const std::string text = trade_line(10, 100, 1) +
                           "not json at all\n"                                          // not JSON
                           "\n"                                                         // empty
                           R"({"recv_us":11})" "\n"                                     // no data
                           R"({"recv_us":"11","data":{"E":1,"t":2}})" "\n"              // recv_us a string
                           R"({"recv_us":11,"data":{"E":1.5,"t":2}})" "\n"              // E not an integer
                           R"({"recv_us":11,"data":{"E":1,"t":2}} {"recv_us":12})" "\n"  // two objects
                           R"({"recv_us":11,"data":{"E":1,"t":2)" "\n"                  // unbalanced
                           "[1,2,3]\n"                                                  // not an object
                           + std::string("\0\0\0\0", 4) + "\n"                          // zeros after power loss
                           + trade_line(12, 102, 2);
  const PartStats stats = scan(text);
  EXPECT_EQ(stats.record_count, 11u);
  EXPECT_EQ(stats.bad_lines, 9u);
  EXPECT_EQ(stats.bytes, text.size());
  EXPECT_EQ(stats.time_min_ms, 100);
  EXPECT_EQ(stats.time_max_ms, 102);
  EXPECT_EQ(stats.id_first, 1);
  EXPECT_EQ(stats.id_last, 2);
  EXPECT_EQ(stats.recv_min_us, 10);
  EXPECT_EQ(stats.recv_max_us, 12);
}

TEST(PartStatsTest, AcceptsRestRecordsAndAnyMemberOrder) {
  const std::string text =
      R"({"recv_us":20,"src":"rest","data":{"e":"trade","E":200,"s":"BTCUSDT","t":40,"p":"1","q":"1","T":200,"m":false,"M":true}})"
      "\n"
      R"({"data":{"t":41,"x":{"nested":[1,{"E":999}]},"E":201},"stream":"btcusdt@trade","recv_us":21})"
      "\n";
  const PartStats stats = scan(text);
  EXPECT_EQ(stats.bad_lines, 0u);
  EXPECT_EQ(stats.id_first, 40);
  EXPECT_EQ(stats.id_last, 41);
  EXPECT_EQ(stats.time_max_ms, 201);  // the nested "E" is not data.E
}

TEST(PartStatsTest, QuarantinePartsHaveReceiveTimesOnly) {
  const std::string text = quarantine_line(30) + quarantine_line(31) + R"({"reason":"x"})" "\n";
  const PartStats stats = scan(text, PartKind::kQuarantine);
  EXPECT_EQ(stats.record_count, 3u);
  EXPECT_EQ(stats.bad_lines, 1u);  // no recv_us
  EXPECT_EQ(stats.recv_min_us, 30);
  EXPECT_EQ(stats.recv_max_us, 31);
  EXPECT_FALSE(stats.time_min_ms);
  EXPECT_FALSE(stats.id_first);
  EXPECT_TRUE(stats.id_gaps.empty());
}

}  // namespace
}  // namespace mc
