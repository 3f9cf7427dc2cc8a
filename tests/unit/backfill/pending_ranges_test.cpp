#include "backfill/pending_ranges.hpp"

#include <gtest/gtest.h>

namespace mc {
namespace {

using Ranges = std::vector<IdRange>;

TEST(PendingRanges, MergesOverlappingAndAdjacentRanges) {
  PendingRanges pending(16);
  EXPECT_FALSE(pending.add(10, 20));
  EXPECT_FALSE(pending.add(30, 40));
  EXPECT_EQ(pending.ranges(), (Ranges{{10, 20}, {30, 40}}));
  EXPECT_FALSE(pending.add(21, 29));  // touches both
  EXPECT_FALSE(pending.add(5, 12));
  EXPECT_EQ(pending.ranges(), (Ranges{{5, 40}}));
  EXPECT_EQ(pending.count(), 36U);
}

TEST(PendingRanges, RemoveSplitsAndTakeAllEmpties) {
  PendingRanges pending(16);
  ASSERT_FALSE(pending.add(1, 100));
  pending.remove(1, 10);
  pending.remove(50, 60);
  EXPECT_EQ(pending.front(), (IdRange{11, 49}));
  EXPECT_EQ(pending.take_all(), (Ranges{{11, 49}, {61, 100}}));
  EXPECT_TRUE(pending.empty());
  EXPECT_FALSE(pending.front().has_value());
}

TEST(PendingRanges, OverTheBoundJoinsTheClosestRangesKeepingEveryId) {
  PendingRanges pending(3);
  ASSERT_FALSE(pending.add(0, 0));
  ASSERT_FALSE(pending.add(100, 100));
  ASSERT_FALSE(pending.add(103, 103));
  EXPECT_TRUE(pending.add(1000, 1000));
  EXPECT_EQ(pending.ranges(), (Ranges{{0, 0}, {100, 103}, {1000, 1000}}));
}

}  // namespace
}  // namespace mc
