#include "common/status.hpp"

#include <cerrno>

#include <gtest/gtest.h>

namespace mc {
namespace {

TEST(StatusTest, ErrnoMapsToWhatTheCallerShouldDo) {
  EXPECT_EQ(Status::from_errno(ENOSPC, "write").kind(), ErrorKind::kNoSpace);
  EXPECT_EQ(Status::from_errno(EACCES, "open").kind(), ErrorKind::kFatal);
  EXPECT_EQ(Status::from_errno(EIO, "fsync").kind(), ErrorKind::kRetryable);
  EXPECT_NE(Status::from_errno(ENOSPC, "write x").message().find("write x: "), std::string::npos);
}

TEST(StatusTest, ContextKeepsTheKind) {
  const Status s = Status::corrupt("bad gzip").with_context("sealing a");
  EXPECT_EQ(s.kind(), ErrorKind::kCorrupt);
  EXPECT_EQ(s.message(), "sealing a: bad gzip");
  EXPECT_TRUE(Status::ok().with_context("x").is_ok());
}

TEST(ResultTest, HoldsValueOrError) {
  Result<int> good = 7;
  ASSERT_TRUE(good.is_ok());
  EXPECT_EQ(*good, 7);
  Result<int> bad = Status::fatal("no");
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().message(), "no");
}

}  // namespace
}  // namespace mc
