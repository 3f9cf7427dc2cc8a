#include "app/seal_backlog.hpp"

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/fake_clock.hpp"

namespace mc {
namespace {

TEST(SealBacklogTest, OffersFilesInOrderUntilOneIsRefusedAndKeepsTheRest) {
  SealBacklog backlog;
  for (const char* name : {"a", "b", "c"}) backlog.add({name});

  std::vector<std::string> taken;
  std::size_t room = 2;
  backlog.retry([&](const SealJob& job) {
    if (room == 0) return false;
    --room;
    taken.push_back(job.open_file.string());
    return true;
  });
  EXPECT_EQ(taken, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(backlog.size(), 1u);

  backlog.retry([&](const SealJob& job) {
    taken.push_back(job.open_file.string());
    return true;
  });
  EXPECT_EQ(taken.back(), "c");
  EXPECT_EQ(backlog.size(), 0u);
}

TEST(SealBacklogTest, KeepsEachFilesNotesForTheSealer) {
  SealBacklog backlog;
  PartNotes notes;
  notes.add_gap_seen({10, 20});
  backlog.add({"a", notes});
  std::vector<IdRange> seen;
  backlog.retry([&](const SealJob& job) {
    seen = job.notes.gaps_seen;
    return true;
  });
  EXPECT_EQ(seen, (std::vector<IdRange>{{10, 20}}));
}

// The stop's drain takes no new files, so the backlog is fed in first, as the sealer frees room.
TEST(SealBacklogTest, AtTheStopEveryFileGoesInAsTheQueueFreesUp) {
  SealBacklog backlog;
  for (const char* name : {"a", "b", "c", "d"}) backlog.add({name});
  testing::FakeClock clock;
  std::vector<std::string> taken;
  int calls = 0;
  // Room for one file on every second offer: the queue frees up while the backlog waits.
  const bool emptied = backlog.retry_until_empty(
      [&](const SealJob& job) {
        if (++calls % 2 == 1) return false;
        taken.push_back(job.open_file.string());
        return true;
      },
      clock, clock.steady_now() + std::chrono::seconds(1), std::chrono::milliseconds(1));
  EXPECT_TRUE(emptied);
  EXPECT_EQ(taken, (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_EQ(backlog.size(), 0u);
}

TEST(SealBacklogTest, AtTheStopWhatTheQueueNeverTakesStaysForTheNextStart) {
  SealBacklog backlog;
  backlog.add({"a"});
  testing::FakeClock clock;
  const bool emptied = backlog.retry_until_empty([](const SealJob&) { return false; }, clock, clock.steady_now(),
                                                 std::chrono::milliseconds(1));
  EXPECT_FALSE(emptied);
  EXPECT_EQ(backlog.size(), 1u);
}

}  // namespace
}  // namespace mc
