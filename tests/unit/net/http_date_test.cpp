#include "net/http_date.hpp"

#include <gtest/gtest.h>

namespace mc {
namespace {

using std::chrono::system_clock;

std::int64_t epoch_seconds(system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

TEST(HttpDateTest, ParsesImfFixdate) {
  const auto t = parse_http_date("Wed, 25 Nov 2026 05:21:10 GMT");
  ASSERT_TRUE(t);
  EXPECT_EQ(epoch_seconds(*t), 1795584070);
}

TEST(HttpDateTest, RefusesOtherForms) {
  EXPECT_FALSE(parse_http_date(""));
  EXPECT_FALSE(parse_http_date("Wednesday, 25-Nov-26 05:21:10 GMT"));  // RFC 850
  EXPECT_FALSE(parse_http_date("Wed, 25 Nov 2026 05:21:10 UTC"));
  EXPECT_FALSE(parse_http_date("Wed, 25 Nox 2026 05:21:10 GMT"));
  EXPECT_FALSE(parse_http_date("Wed, 31 Nov 2026 05:21:10 GMT"));
  EXPECT_FALSE(parse_http_date("Wed, 25 Nov 2026 25:21:10 GMT"));
  EXPECT_FALSE(parse_http_date("Wed, 2x Nov 2026 05:21:10 GMT"));
}

TEST(Iso8601Test, ParsesAwsTimestamps) {
  const auto whole = parse_iso8601_utc("2026-11-25T05:21:10Z");
  ASSERT_TRUE(whole);
  EXPECT_EQ(epoch_seconds(*whole), 1795584070);
  const auto fractional = parse_iso8601_utc("2026-11-25T05:21:10.123456Z");
  ASSERT_TRUE(fractional);
  EXPECT_EQ(epoch_seconds(*fractional), 1795584070);
}

TEST(Iso8601Test, RefusesOtherForms) {
  EXPECT_FALSE(parse_iso8601_utc(""));
  EXPECT_FALSE(parse_iso8601_utc("2026-11-25 05:21:10Z"));
  EXPECT_FALSE(parse_iso8601_utc("2026-11-25T05:21:10+01:00"));
  EXPECT_FALSE(parse_iso8601_utc("2026-11-25T05:21:10"));
  EXPECT_FALSE(parse_iso8601_utc("2026-11-25T05:21:10.Z"));
  EXPECT_FALSE(parse_iso8601_utc("2026-11-25T05:21:10.1a2Z"));
  EXPECT_FALSE(parse_iso8601_utc("2026-13-25T05:21:10Z"));
}

}  // namespace
}  // namespace mc
