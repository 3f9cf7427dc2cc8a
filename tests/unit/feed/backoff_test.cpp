#include "feed/backoff.hpp"
#include "feed/attempt_budget.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>
#include <vector>

namespace mc {
namespace {

using std::chrono::milliseconds;

std::vector<long> delays(Backoff& backoff, int count) {
  std::vector<long> out;
  for (int i = 0; i < count; ++i) out.push_back(static_cast<long>(backoff.next().count()));
  return out;
}

TEST(BackoffTest, FirstDelayIsInitialThenFullJitterUnderADoublingCeilingUpToTheCap) {
  double u = 1.0;
  Backoff backoff(milliseconds(1000), milliseconds(30000), [&u] { return u; });
  // Highest draw: each ceiling 1, 2, 4, 8, 16, 30 (capped), 30 s.
  EXPECT_EQ(delays(backoff, 7), (std::vector<long>{1000, 2000, 4000, 8000, 16000, 30000, 30000}));
  EXPECT_EQ(backoff.failures(), 7);

  backoff.reset();
  u = 0.5;
  EXPECT_EQ(delays(backoff, 7), (std::vector<long>{1000, 1000, 2000, 4000, 8000, 15000, 15000}));

  backoff.reset();
  u = 0.0;
  EXPECT_EQ(delays(backoff, 3), (std::vector<long>{1000, 0, 0}));
}

TEST(BackoffTest, ResetStartsOverAtTheInitialDelay) {
  Backoff backoff(milliseconds(1000), milliseconds(30000), [] { return 0.999; });
  (void)delays(backoff, 10);
  backoff.reset();
  EXPECT_EQ(backoff.failures(), 0);
  EXPECT_EQ(backoff.next(), milliseconds(1000));
  EXPECT_EQ(backoff.next(), milliseconds(1998));  // 0.999 * 2000
}

TEST(BackoffTest, RandomDrawsStayWithinZeroToTheCeiling) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  Backoff backoff(milliseconds(1000), milliseconds(30000), [&] { return unit(rng); });
  EXPECT_EQ(backoff.next(), milliseconds(1000));
  long ceiling = 1000;
  for (int i = 0; i < 100; ++i) {
    ceiling = std::min(ceiling * 2, 30000L);
    const long delay = static_cast<long>(backoff.next().count());
    EXPECT_GE(delay, 0);
    EXPECT_LE(delay, ceiling);
  }
}

TEST(BackoffTest, MaxBelowInitialIsRaisedToInitial) {
  Backoff backoff(milliseconds(5000), milliseconds(1000), [] { return 1.0; });
  EXPECT_EQ(backoff.next(), milliseconds(5000));
  EXPECT_EQ(backoff.next(), milliseconds(5000));
}

TEST(AttemptBudgetTest, AnAttemptOverTheBudgetWaitsForTheOldestToLeaveTheWindow) {
  using std::chrono::seconds;
  AttemptBudget budget(3, seconds(10));
  const auto t0 = std::chrono::steady_clock::time_point{} + seconds(100);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(budget.take(t0 + seconds(i)), std::chrono::steady_clock::duration::zero());
  EXPECT_EQ(budget.take(t0 + seconds(4)), seconds(6));  // the first leaves the window at t0 + 10 s
  EXPECT_EQ(budget.take(t0 + seconds(5)), seconds(5));  // a refused attempt takes nothing
  EXPECT_EQ(budget.take(t0 + seconds(10)), std::chrono::steady_clock::duration::zero());
  EXPECT_EQ(budget.take(t0 + seconds(10)), seconds(1));
}

TEST(AttemptBudgetTest, ConnectionsOnSeveralThreadsShareOneBudget) {
  AttemptBudget budget(100, std::chrono::minutes(5));
  const auto now = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  std::atomic<int> taken{0};
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < 50; ++i) {
          if (budget.take(now) == std::chrono::steady_clock::duration::zero()) ++taken;
        }
      });
    }
  }
  EXPECT_EQ(taken.load(), 100);
}

}  // namespace
}  // namespace mc
