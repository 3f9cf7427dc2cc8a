#include "spool/window.hpp"

#include <gtest/gtest.h>

namespace mc {
namespace {

constexpr std::int64_t kSecond = 1'000'000;

TEST(WindowTest, WindowsAlignOnTheUtcEpoch) {
  const std::int64_t t = 1'739'141'034'567'123;  // 22:43:54.567123Z
  const std::int64_t index = window_index(t, 5);
  EXPECT_EQ(window_start_us(index, 5), 1'739'141'030 * kSecond);  // :50
  EXPECT_EQ(window_end_us(index, 5), 1'739'141'035 * kSecond);    // :55
  EXPECT_EQ(window_start_us(window_index(t, 60), 60), 1'739'140'980 * kSecond);  // 22:43:00
}

TEST(WindowTest, TheEndBelongsToTheNextWindow) {
  const std::int64_t end = 1'739'141'035 * kSecond;
  EXPECT_EQ(window_index(end - 1, 5) + 1, window_index(end, 5));
  EXPECT_EQ(window_end_us(window_index(end - 1, 5), 5), end);
  EXPECT_EQ(window_start_us(window_index(end, 5), 5), end);
}

TEST(WindowTest, TimesBeforeTheEpochFloor) {
  EXPECT_EQ(window_index(-1, 5), -1);
  EXPECT_EQ(window_index(-5 * kSecond, 5), -1);
  EXPECT_EQ(window_index(-5 * kSecond - 1, 5), -2);
  EXPECT_EQ(window_index(0, 5), 0);
}

TEST(WindowTest, OneSecondWindows) {
  EXPECT_EQ(window_index(2 * kSecond - 1, 1), 1);
  EXPECT_EQ(window_index(2 * kSecond, 1), 2);
  EXPECT_EQ(window_end_us(2, 1), 3 * kSecond);
}

}  // namespace
}  // namespace mc
