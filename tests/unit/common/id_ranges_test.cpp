#include "common/id_ranges.hpp"

#include <gtest/gtest.h>

namespace mc {
namespace {

TEST(IdSetTest, MergesOverlappingAndAdjacentRangesInAnyOrder) {
  IdSet set;
  set.add(10, 20);
  set.add(30, 40);
  set.add(21, 22);  // touches 10-20
  set.add(5, 5);
  set.add(25, 31);  // overlaps 30-40
  EXPECT_EQ(set, (IdSet{{5, 5}, {10, 22}, {25, 40}}));
  set.add(6, 24);
  EXPECT_EQ(set, (IdSet{{5, 40}}));
  EXPECT_EQ(set.count(), 36u);
}

TEST(IdSetTest, AscendingSingleIdsBecomeOneRange) {
  IdSet set;
  for (std::int64_t id = 100; id < 200; ++id) set.add(id);
  set.add(150);  // a duplicate changes nothing
  EXPECT_EQ(set, (IdSet{{100, 199}}));
}

TEST(IdSetTest, SubtractAndMissingWithin) {
  const IdSet set{{1, 10}, {20, 30}};
  EXPECT_EQ(set.subtract(IdSet{{5, 22}}), (IdSet{{1, 4}, {23, 30}}));
  EXPECT_EQ(set.subtract(IdSet{{0, 100}}), IdSet{});
  EXPECT_EQ(set.subtract(IdSet{{3, 3}, {7, 8}}), (IdSet{{1, 2}, {4, 6}, {9, 10}, {20, 30}}));
  EXPECT_EQ(set.missing_within({1, 30}), (IdSet{{11, 19}}));
  EXPECT_EQ(set.missing_within({0, 35}), (IdSet{{0, 0}, {11, 19}, {31, 35}}));
}

TEST(IdSetTest, RemoveSpanContains) {
  IdSet set{{1, 10}};
  set.remove(4, 6);
  EXPECT_EQ(set, (IdSet{{1, 3}, {7, 10}}));
  EXPECT_TRUE(set.contains(3));
  EXPECT_FALSE(set.contains(5));
  EXPECT_FALSE(set.contains(11));
  ASSERT_TRUE(set.span().has_value());
  EXPECT_EQ(*set.span(), (IdRange{1, 10}));
  EXPECT_FALSE(IdSet{}.span().has_value());
}

}  // namespace
}  // namespace mc
