#include "app/seal_backlog.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace mc {
namespace {

TEST(SealBacklogTest, OffersFilesInOrderUntilOneIsRefusedAndKeepsTheRest) {
  SealBacklog backlog;
  for (const char* name : {"a", "b", "c"}) backlog.add(name);

  std::vector<std::string> taken;
  std::size_t room = 2;
  backlog.retry([&](const std::filesystem::path& file) {
    if (room == 0) return false;
    --room;
    taken.push_back(file.string());
    return true;
  });
  EXPECT_EQ(taken, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(backlog.size(), 1u);

  backlog.retry([&](const std::filesystem::path& file) {
    taken.push_back(file.string());
    return true;
  });
  EXPECT_EQ(taken.back(), "c");
  EXPECT_EQ(backlog.size(), 0u);
}

}  // namespace
}  // namespace mc
