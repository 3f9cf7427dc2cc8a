#include "app/health.hpp"

#include <chrono>

#include <gtest/gtest.h>

namespace mc {
namespace {

using std::chrono::seconds;
using TimePoint = std::chrono::steady_clock::time_point;

constexpr TimePoint kStart{seconds(1000)};

HealthLimits limits() { return {.tick_stale = seconds(15), .feed_idle = seconds(60), .store_stale = seconds(600)}; }

HealthSample sample(TimePoint at, std::uint64_t messages, std::uint64_t uploads, bool spool_over_limit = false,
                    bool feeds_alive = true) {
  return {.at = at, .feeds_alive = feeds_alive, .ws_messages = messages, .uploads_ok = uploads,
          .spool_over_limit = spool_over_limit};
}

TEST(HealthMonitorTest, NeitherLiveNorReadyBeforeTheFirstSample) {
  const HealthMonitor health(limits());
  EXPECT_FALSE(health.live(kStart).ok);
  EXPECT_FALSE(health.ready(kStart).ok);
}

TEST(HealthMonitorTest, LiveWhileSamplesAreFreshAndNoFeedLoopIsWedged) {
  HealthMonitor health(limits());
  health.observe(sample(kStart, 0, 0));
  EXPECT_TRUE(health.live(kStart + seconds(15)).ok);
  const HealthVerdict stalled = health.live(kStart + seconds(16));
  EXPECT_FALSE(stalled.ok);
  EXPECT_NE(stalled.reason.find("main loop stalled"), std::string::npos) << stalled.reason;

  health.observe(sample(kStart + seconds(20), 0, 0, false, /*feeds_alive=*/false));
  const HealthVerdict wedged = health.live(kStart + seconds(20));
  EXPECT_FALSE(wedged.ok);
  EXPECT_NE(wedged.reason.find("wedged"), std::string::npos) << wedged.reason;
  EXPECT_FALSE(health.ready(kStart + seconds(20)).ok);
}

TEST(HealthMonitorTest, ReadyOnlyWhileTheFeedDeliveredWithinItsIdleLimit) {
  HealthMonitor health(limits());
  health.observe(sample(kStart, 0, 0));
  EXPECT_FALSE(health.ready(kStart).ok);  // live, but nothing received yet
  health.observe(sample(kStart + seconds(5), 10, 0));
  EXPECT_TRUE(health.ready(kStart + seconds(5)).ok);
  // Samples keep coming, the counter stops moving.
  for (int tick = 2; tick <= 14; ++tick) health.observe(sample(kStart + seconds(5 * tick), 10, 0));
  EXPECT_TRUE(health.ready(kStart + seconds(65)).ok);
  const HealthVerdict idle = health.ready(kStart + seconds(70));
  EXPECT_FALSE(idle.ok);
  EXPECT_NE(idle.reason.find("WS_IDLE_SECS=60"), std::string::npos) << idle.reason;
  EXPECT_TRUE(health.live(kStart + seconds(70)).ok);
  health.observe(sample(kStart + seconds(75), 11, 0));
  EXPECT_TRUE(health.ready(kStart + seconds(75)).ok);
}

TEST(HealthMonitorTest, ASpoolUnderItsAlarmNeedsNoStoredPart) {
  HealthMonitor health(limits());
  health.observe(sample(kStart, 1, 0));
  health.observe(sample(kStart + seconds(1000), 2, 0));
  EXPECT_TRUE(health.ready(kStart + seconds(1000)).ok);
}

TEST(HealthMonitorTest, ASpoolOverItsAlarmNeedsAPartStoredWithinTheStoreLimit) {
  HealthMonitor health(limits());
  health.observe(sample(kStart, 1, 0, /*spool_over_limit=*/true));
  const HealthVerdict never = health.ready(kStart);
  EXPECT_FALSE(never.ok);
  EXPECT_NE(never.reason.find("store"), std::string::npos) << never.reason;
  health.observe(sample(kStart + seconds(5), 2, 1, true));
  EXPECT_TRUE(health.ready(kStart + seconds(5)).ok);
  health.observe(sample(kStart + seconds(605), 3, 1, true));
  EXPECT_TRUE(health.ready(kStart + seconds(605)).ok);
  health.observe(sample(kStart + seconds(610), 4, 1, true));
  EXPECT_FALSE(health.ready(kStart + seconds(610)).ok);
  health.observe(sample(kStart + seconds(615), 5, 1, /*spool_over_limit=*/false));
  EXPECT_TRUE(health.ready(kStart + seconds(615)).ok);
}

}  // namespace
}  // namespace mc
