#include "spool/free_space.hpp"

#include <filesystem>

#include <gtest/gtest.h>

#include "support/fake_clock.hpp"
#include "support/temp_dir.hpp"

namespace mc {
namespace {

constexpr std::uint64_t kMoreThanAnyDisk = std::uint64_t{1} << 62;

TEST(FreeSpaceCheckTest, NoReserveIsAlwaysRoom) {
  testing::TempDir dir;
  testing::FakeClock clock;
  FreeSpaceCheck check(dir.path(), 0, clock);
  EXPECT_TRUE(check.has_room());
}

// The answer is kept for one interval: a thread's writers share one statvfs per interval.
TEST(FreeSpaceCheckTest, TheFileSystemIsAskedAtMostOncePerInterval) {
  testing::TempDir dir;
  const std::filesystem::path spool = dir.path() / "open";
  std::filesystem::create_directories(spool);
  testing::FakeClock clock;
  FreeSpaceCheck check(spool, kMoreThanAnyDisk, clock);
  EXPECT_FALSE(check.has_room());

  // A statvfs that fails counts as room (write(2) is left to judge): the change shows only once asked again.
  std::filesystem::remove(spool);
  clock.advance(kFreeSpaceCheckInterval / 2);
  EXPECT_FALSE(check.has_room());
  clock.advance(kFreeSpaceCheckInterval / 2);
  EXPECT_TRUE(check.has_room());
}

}  // namespace
}  // namespace mc
