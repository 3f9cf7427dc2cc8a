#include "app/health.hpp"

#include <chrono>

#include <gtest/gtest.h>

namespace mc {
namespace {

using std::chrono::seconds;
using TimePoint = std::chrono::steady_clock::time_point;

constexpr TimePoint kStart{seconds(1000)};

HealthLimits limits() { return {.tick_stale = seconds(15), .feed_idle = seconds(60), .store_stale = seconds(600)}; }

HealthSample sample(TimePoint at, std::uint64_t uploads, bool spool_over_limit = false, bool feeds_alive = true) {
  return {.at = at, .feeds_alive = feeds_alive, .uploads_ok = uploads, .spool_over_limit = spool_over_limit};
}

// The feed's message counter, which the monitor reads itself, beside a monitor on fake time.
class HealthMonitorTest : public ::testing::Test {
 protected:
  Counter messages{0};
  HealthMonitor health{limits(), messages};
};

TEST_F(HealthMonitorTest, NeitherLiveNorReadyBeforeTheFirstSample) {
  EXPECT_FALSE(health.live(kStart).ok);
  EXPECT_FALSE(health.ready(kStart).ok);
}

TEST_F(HealthMonitorTest, MessagesBeforeTheFirstSampleDoNotMakeItReady) {
  bump(messages);
  const HealthVerdict verdict = health.ready(kStart);
  EXPECT_FALSE(verdict.ok);
  EXPECT_NE(verdict.reason.find("not started"), std::string::npos) << verdict.reason;
}

TEST_F(HealthMonitorTest, LiveWhileSamplesAreFreshAndNoFeedLoopIsWedged) {
  health.observe(sample(kStart, 0));
  EXPECT_TRUE(health.live(kStart + seconds(15)).ok);
  const HealthVerdict stalled = health.live(kStart + seconds(16));
  EXPECT_FALSE(stalled.ok);
  EXPECT_NE(stalled.reason.find("main loop stalled"), std::string::npos) << stalled.reason;

  bump(messages);
  health.observe(sample(kStart + seconds(20), 0, false, /*feeds_alive=*/false));
  const HealthVerdict wedged = health.live(kStart + seconds(20));
  EXPECT_FALSE(wedged.ok);
  EXPECT_NE(wedged.reason.find("wedged"), std::string::npos) << wedged.reason;
  EXPECT_FALSE(health.ready(kStart + seconds(20)).ok);
}

TEST_F(HealthMonitorTest, ReadyAtTheFirstMessageWithoutWaitingForTheNextSample) {
  health.observe(sample(kStart, 0));
  const HealthVerdict waiting = health.ready(kStart + seconds(1));
  EXPECT_FALSE(waiting.ok);
  EXPECT_EQ(waiting.reason, "feed: no message received yet");
  bump(messages);
  EXPECT_TRUE(health.ready(kStart + seconds(1)).ok);
  EXPECT_TRUE(health.ready(kStart + seconds(4)).ok);
}

TEST_F(HealthMonitorTest, ReadyOnlyWhileTheFeedDeliveredWithinItsIdleLimit) {
  health.observe(sample(kStart, 0));
  messages = 10;
  health.observe(sample(kStart + seconds(5), 0));
  EXPECT_TRUE(health.ready(kStart + seconds(5)).ok);
  // Samples keep coming, the counter stops moving.
  for (int tick = 2; tick <= 14; ++tick) health.observe(sample(kStart + seconds(5 * tick), 0));
  EXPECT_TRUE(health.ready(kStart + seconds(65)).ok);
  const HealthVerdict idle = health.ready(kStart + seconds(70));
  EXPECT_FALSE(idle.ok);
  EXPECT_NE(idle.reason.find("WS_IDLE_SECS=60"), std::string::npos) << idle.reason;
  EXPECT_TRUE(health.live(kStart + seconds(70)).ok);
  health.observe(sample(kStart + seconds(75), 0));
  messages = 11;
  EXPECT_TRUE(health.ready(kStart + seconds(76)).ok);  // before the next sample
  for (int tick = 16; tick <= 28; ++tick) health.observe(sample(kStart + seconds(5 * tick), 0));
  EXPECT_TRUE(health.ready(kStart + seconds(140)).ok);
  EXPECT_FALSE(health.ready(kStart + seconds(141)).ok);  // idle again, counted from the sample that saw it
}

TEST_F(HealthMonitorTest, ASpoolUnderItsAlarmNeedsNoStoredPart) {
  messages = 1;
  health.observe(sample(kStart, 0));
  messages = 2;
  health.observe(sample(kStart + seconds(1000), 0));
  EXPECT_TRUE(health.ready(kStart + seconds(1000)).ok);
}

TEST_F(HealthMonitorTest, ASpoolOverItsAlarmNeedsAPartStoredWithinTheStoreLimit) {
  messages = 1;
  health.observe(sample(kStart, 0, /*spool_over_limit=*/true));
  const HealthVerdict never = health.ready(kStart);
  EXPECT_FALSE(never.ok);
  EXPECT_NE(never.reason.find("store"), std::string::npos) << never.reason;
  messages = 2;
  health.observe(sample(kStart + seconds(5), 1, true));
  EXPECT_TRUE(health.ready(kStart + seconds(5)).ok);
  messages = 3;
  health.observe(sample(kStart + seconds(605), 1, true));
  EXPECT_TRUE(health.ready(kStart + seconds(605)).ok);
  messages = 4;
  health.observe(sample(kStart + seconds(610), 1, true));
  EXPECT_FALSE(health.ready(kStart + seconds(610)).ok);
  messages = 5;
  health.observe(sample(kStart + seconds(615), 1, /*spool_over_limit=*/false));
  EXPECT_TRUE(health.ready(kStart + seconds(615)).ok);
}

}  // namespace
}  // namespace mc
