#include "backfill/weight_budget.hpp"

#include <gtest/gtest.h>

namespace mc {
namespace {

using std::chrono::microseconds;
using std::chrono::seconds;

constexpr std::int64_t kMinute = 60'000'000;
constexpr std::int64_t kT0 = 1'739'141'040'000'000;  // a UTC minute boundary
static_assert(kT0 % kMinute == 0);

TEST(WeightBudget, FreshBudgetSendsAtOnce) {
  WeightBudget budget(100);
  EXPECT_EQ(budget.wait_before(25, kT0 + 5), microseconds(0));
}

TEST(WeightBudget, OwnSpendIsCappedPerCalendarMinute) {
  WeightBudget budget(100);
  const std::int64_t now = kT0 + 10'000'000;  // 10 s into the minute
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(budget.wait_before(25, now), microseconds(0)) << i;
    budget.on_sent(25, now);
  }
  // 100 spent: the fifth waits for the next minute boundary, not for 60 s after the first.
  EXPECT_EQ(budget.wait_before(25, now), seconds(50));
  EXPECT_EQ(budget.wait_before(25, kT0 + kMinute - 1), microseconds(1));
  EXPECT_EQ(budget.wait_before(25, kT0 + kMinute), microseconds(0));
  // The new minute starts empty once something is sent in it.
  budget.on_sent(25, kT0 + kMinute);
  EXPECT_EQ(budget.wait_before(75, kT0 + kMinute), microseconds(0));
  EXPECT_EQ(budget.wait_before(76, kT0 + kMinute), seconds(60));
}

TEST(WeightBudget, ARequestHeavierThanTheBudgetStillGoesOncePerMinute) {
  WeightBudget budget(10);
  EXPECT_EQ(budget.wait_before(25, kT0), microseconds(0));
  budget.on_sent(25, kT0);
  EXPECT_EQ(budget.wait_before(25, kT0 + 1), microseconds(kMinute - 1));
}

TEST(WeightBudget, ExchangeUsageFromTheHeaderCountsAgainstTheIpLimit) {
  WeightBudget budget(2000);
  const std::int64_t now = kT0 + 30'000'000;
  budget.on_sent(25, now);
  budget.on_used_weight(5950, now);  // other clients on this IP spent most of the minute
  EXPECT_EQ(budget.wait_before(50, now), microseconds(0));  // 5950 + 50 = 6000: still allowed
  EXPECT_EQ(budget.wait_before(51, now), seconds(30));
  // What we send after the report adds to it.
  budget.on_sent(25, now);
  EXPECT_EQ(budget.wait_before(25, now), microseconds(0));  // 5975 + 25
  budget.on_sent(25, now);
  EXPECT_EQ(budget.wait_before(25, now), seconds(30));
  // A report of the previous minute does not carry over into the next one.
  EXPECT_EQ(budget.wait_before(25, kT0 + kMinute), microseconds(0));
}

TEST(WeightBudget, HeaderNeverLowersTheEstimateBelowOwnSpend) {
  WeightBudget budget(6000);
  const std::int64_t now = kT0 + 1;
  for (int i = 0; i < 10; ++i) budget.on_sent(590, now);  // 5900
  budget.on_used_weight(100, now);
  EXPECT_EQ(budget.wait_before(101, now), microseconds(kMinute - 1));
}

TEST(WeightBudget, PerMinuteIsCappedAtTheExchangeLimit) {
  WeightBudget budget(100'000);
  budget.on_sent(5990, kT0);
  EXPECT_EQ(budget.wait_before(10, kT0), microseconds(0));
  EXPECT_EQ(budget.wait_before(11, kT0), seconds(60));
}

TEST(WeightBudget, RetryAfterHoldsEverythingBack) {
  WeightBudget budget(2000);
  const std::int64_t now = kT0 + 50'000'000;
  budget.on_retry_after(seconds(20), now);  // until 10 s into the next minute
  EXPECT_EQ(budget.wait_before(25, now), seconds(20));
  EXPECT_EQ(budget.wait_before(25, now + 15'000'000), seconds(5));
  EXPECT_EQ(budget.wait_before(25, now + 20'000'000), microseconds(0));
  // A shorter later Retry-After does not shorten the wait.
  budget.on_retry_after(seconds(1), now + 1'000'000);
  EXPECT_EQ(budget.wait_before(25, now + 2'000'000), seconds(18));
}

TEST(WeightBudget, RetryAfterEndingInAFullMinuteWaitsForTheNextOne) {
  WeightBudget budget(50);
  const std::int64_t now = kT0 + 10'000'000;
  budget.on_sent(50, now);
  budget.on_retry_after(seconds(5), now);
  EXPECT_EQ(budget.wait_before(25, now), seconds(50));
}

}  // namespace
}  // namespace mc
