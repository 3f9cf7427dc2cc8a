#include "app/worker_counts.hpp"

#include <gtest/gtest.h>

namespace mc {
namespace {

TEST(WorkerCounts, AFewSymbolsGetTheMinimum) {
  EXPECT_EQ(sealer_threads(1), 1U);
  EXPECT_EQ(uploader_threads(1), 2U);
  EXPECT_EQ(sealer_threads(60), 1U);
  EXPECT_EQ(uploader_threads(60), 2U);
}

TEST(WorkerCounts, GrowWithTheSymbolsUpToACap) {
  EXPECT_EQ(sealer_threads(200), 2U);
  EXPECT_EQ(uploader_threads(200), 5U);
  EXPECT_EQ(sealer_threads(1000), kMaxSealerThreads);
  EXPECT_EQ(uploader_threads(1000), kMaxUploaderThreads);
  EXPECT_EQ(sealer_threads(100000), kMaxSealerThreads);
  EXPECT_EQ(uploader_threads(100000), kMaxUploaderThreads);
}

TEST(WorkerCounts, TheSealBacklogAlarmsAboveTwoWindowsAndAStopOfEverySymbol) {
  EXPECT_EQ(seal_backlog_alarm(1, 1024), 1024U);
  EXPECT_EQ(seal_backlog_alarm(341, 1024), 1024U);
  EXPECT_EQ(seal_backlog_alarm(1000, 1024), 3000U);
}

}  // namespace
}  // namespace mc
