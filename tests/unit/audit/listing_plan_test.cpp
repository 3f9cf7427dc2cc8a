#include "audit/listing_plan.hpp"

#include <algorithm>

#include <gtest/gtest.h>

#include "audit_store_builder.hpp"

namespace mc {
namespace {

using testing::kBaseMs;  // 2026-11-25T05:00:00Z

constexpr std::int64_t kMinute = 60'000;
constexpr std::int64_t kHour = 3'600'000;
constexpr std::int64_t kDay = 86'400'000;

using Plan = std::vector<std::string>;

TEST(ListingPlanTest, OneMinuteIsItsMinuteFolderWhereverItStartsInside) {
  EXPECT_EQ(listing_plan(kBaseMs + 7 * kMinute, kBaseMs + 8 * kMinute), (Plan{"dt=2026-11-25/05/07/"}));
  EXPECT_EQ(listing_plan(kBaseMs + 7 * kMinute + 30'000, kBaseMs + 7 * kMinute + 40'000),
            (Plan{"dt=2026-11-25/05/07/"}));
  // A range overlapping two minutes by a millisecond each lists both.
  EXPECT_EQ(listing_plan(kBaseMs + 8 * kMinute - 1, kBaseMs + 8 * kMinute + 1),
            (Plan{"dt=2026-11-25/05/07/", "dt=2026-11-25/05/08/"}));
}

TEST(ListingPlanTest, NinetyMinutesAcrossAnHourBoundaryAreMinutesThenTheHourThenMinutes) {
  // 05:45 to 07:15: fifteen minutes, hour 06, fifteen minutes.
  const Plan plan = listing_plan(kBaseMs + 45 * kMinute, kBaseMs + 2 * kHour + 15 * kMinute);
  ASSERT_EQ(plan.size(), 31u);
  EXPECT_EQ(plan[0], "dt=2026-11-25/05/45/");
  EXPECT_EQ(plan[14], "dt=2026-11-25/05/59/");
  EXPECT_EQ(plan[15], "dt=2026-11-25/06/");
  EXPECT_EQ(plan[16], "dt=2026-11-25/07/00/");
  EXPECT_EQ(plan[30], "dt=2026-11-25/07/14/");
  // 05:30 to 07:00 ends on the hour: the half hour, then hour 06 whole.
  const Plan aligned_end = listing_plan(kBaseMs + 30 * kMinute, kBaseMs + 2 * kHour);
  ASSERT_EQ(aligned_end.size(), 31u);
  EXPECT_EQ(aligned_end.back(), "dt=2026-11-25/06/");
}

TEST(ListingPlanTest, DaysWithRaggedEndsUseWholeDaysInsideAndHoursAndMinutesAtTheEdges) {
  const std::int64_t midnight = kBaseMs - 5 * kHour;  // 2026-11-25T00:00:00Z
  // 2026-11-24T22:58:30Z to 2026-11-27T01:02:10Z.
  const std::int64_t from = midnight - kHour - 2 * kMinute + 30'000;
  const std::int64_t to = midnight + 2 * kDay + kHour + 2 * kMinute + 10'000;
  EXPECT_EQ(listing_plan(from, to), (Plan{"dt=2026-11-24/22/58/", "dt=2026-11-24/22/59/", "dt=2026-11-24/23/",
                                          "dt=2026-11-25/", "dt=2026-11-26/", "dt=2026-11-27/00/",
                                          "dt=2026-11-27/01/00/", "dt=2026-11-27/01/01/", "dt=2026-11-27/01/02/"}));
  // Whole days, across a month's end.
  EXPECT_EQ(listing_plan(midnight, midnight + 7 * kDay),
            (Plan{"dt=2026-11-25/", "dt=2026-11-26/", "dt=2026-11-27/", "dt=2026-11-28/", "dt=2026-11-29/",
                  "dt=2026-11-30/", "dt=2026-12-01/"}));
}

TEST(ListingPlanTest, AnEmptyRangeListsNothing) {
  EXPECT_TRUE(listing_plan(kBaseMs, kBaseMs).empty());
  EXPECT_TRUE(listing_plan(kBaseMs + kHour, kBaseMs).empty());
}

TEST(ListingPlanTest, FoldersAreSortedAndEveryMinuteOfTheRangeIsInExactlyOne) {
  const std::int64_t from = kBaseMs - 3 * kHour - 17 * kMinute - 5;
  const std::int64_t to = kBaseMs + kDay + 2 * kHour + 3 * kMinute + 1;
  const Plan plan = listing_plan(from, to);
  EXPECT_TRUE(std::is_sorted(plan.begin(), plan.end()));
  const auto covering = [&plan](const std::string& minute_folder) {
    int count = 0;
    for (const std::string& folder : plan) count += minute_folder.starts_with(folder) ? 1 : 0;
    return count;
  };
  const std::int64_t first_minute = (from / kMinute) * kMinute;
  for (std::int64_t at = first_minute - 2 * kMinute; at < to + 2 * kMinute; at += kMinute) {
    const std::int64_t in_day = at % kDay;
    const std::string day = at / kDay == kBaseMs / kDay - 1   ? "2026-11-24"
                            : at / kDay == kBaseMs / kDay     ? "2026-11-25"
                                                              : "2026-11-26";
    const std::string folder = fmt::format("dt={}/{:02}/{:02}/", day, in_day / kHour, in_day % kHour / kMinute);
    EXPECT_EQ(covering(folder), at >= first_minute && at < to ? 1 : 0) << folder;
  }
}

}  // namespace
}  // namespace mc
