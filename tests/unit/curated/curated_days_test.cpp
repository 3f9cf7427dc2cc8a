#include "curated/curated_days.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace mc {
namespace {

using ::testing::HasSubstr;

constexpr std::int64_t k20250209 = 1739059200000;  // 2025-02-09T00:00:00Z

TEST(CuratedDaysTest, SplitsARangeIntoWholeDaysAndReadsAroundThem) {
  const Result<CuratedDays> days = curated_days(k20250209, k20250209 + 3 * kDayMs);
  ASSERT_TRUE(days) << days.status().message();
  EXPECT_EQ(days->days, (std::vector<std::string>{"2025-02-09", "2025-02-10", "2025-02-11"}));
  EXPECT_EQ(days->from_ms, k20250209);
  EXPECT_EQ(days->to_ms, k20250209 + 3 * kDayMs);
  // An hour before (a collector clock behind the exchange's), a whole day after (late REST copies).
  EXPECT_EQ(days->read_from_ms, k20250209 - 3'600'000);
  EXPECT_EQ(days->read_to_ms, k20250209 + 4 * kDayMs);
}

TEST(CuratedDaysTest, RefusesPartialDaysAndEmptyRanges) {
  EXPECT_THAT(curated_days(k20250209 + 1, k20250209 + kDayMs).status().message(), HasSubstr("--from"));
  EXPECT_THAT(curated_days(k20250209, k20250209 + kDayMs - 1).status().message(), HasSubstr("--to"));
  EXPECT_THAT(curated_days(k20250209, k20250209).status().message(), HasSubstr("before --to"));
}

TEST(CuratedDaysTest, NamesTheUtcDayOfAnInstant) {
  EXPECT_EQ(utc_day(k20250209), "2025-02-09");
  EXPECT_EQ(utc_day(k20250209 + kDayMs - 1), "2025-02-09");
  EXPECT_EQ(utc_day(k20250209 + kDayMs), "2025-02-10");
  EXPECT_EQ(utc_day(0), "1970-01-01");
  EXPECT_EQ(utc_day(-1), "1969-12-31");
}

}  // namespace
}  // namespace mc
