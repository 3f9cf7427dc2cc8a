#include "app/fd_limit.hpp"

#include <sys/resource.h>

#include <gtest/gtest.h>

namespace mc {
namespace {

TEST(FdLimitTest, SoftLimitIsRaisedToTheHardLimit) {
  rlimit before{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &before), 0);
  // Start below the hard limit, as a shell's 1024 would (lowering the soft limit needs no privilege).
  if (before.rlim_max > 64) {
    rlimit lowered = before;
    lowered.rlim_cur = 64;
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &lowered), 0);
  }
  const Result<FdLimit> raised = raise_fd_limit();
  ASSERT_TRUE(raised.is_ok()) << raised.status().message();
  EXPECT_EQ(raised->soft, before.rlim_max);
  EXPECT_EQ(raised->hard, before.rlim_max);
  rlimit after{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &after), 0);
  EXPECT_EQ(after.rlim_cur, before.rlim_max);
  // Already at the hard limit: nothing to do, same answer.
  const Result<FdLimit> again = raise_fd_limit();
  ASSERT_TRUE(again.is_ok());
  EXPECT_EQ(again->soft, before.rlim_max);
}

TEST(FdLimitTest, NeedsTwoPerSymbolPlusHeadroom) {
  EXPECT_EQ(fds_needed(1), 66U);
  EXPECT_EQ(fds_needed(1000), 2064U);
}

}  // namespace
}  // namespace mc
