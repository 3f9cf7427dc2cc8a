#include "app/seal_backlog.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace mc
