#include "spool/spool_lock.hpp"

#include <gtest/gtest.h>

#include "support/temp_dir.hpp"

namespace mc {
namespace {

TEST(SpoolLockTest, SecondHolderIsRefusedWithTheFirstPid) {
  testing::TempDir dir;
  Result<SpoolLock> first = SpoolLock::acquire(dir.path());
  ASSERT_TRUE(first.is_ok()) << first.status().message();
  Result<SpoolLock> second = SpoolLock::acquire(dir.path());
  ASSERT_FALSE(second.is_ok());
  EXPECT_EQ(second.status().kind(), ErrorKind::kFatal);
  EXPECT_NE(second.status().message().find("in use by another market-collector (pid " + std::to_string(::getpid())),
            std::string::npos)
      << second.status().message();
  EXPECT_NE(second.status().message().find(dir.path().string()), std::string::npos);
}

TEST(SpoolLockTest, ReleasedWithTheObject) {
  testing::TempDir dir;
  { ASSERT_TRUE(SpoolLock::acquire(dir.path()).is_ok()); }
  EXPECT_TRUE(SpoolLock::acquire(dir.path()).is_ok());
}

TEST(SpoolLockTest, MissingDirectoryIsAnError) {
  testing::TempDir dir;
  EXPECT_FALSE(SpoolLock::acquire(dir.path() / "missing").is_ok());
}

}  // namespace
}  // namespace mc
