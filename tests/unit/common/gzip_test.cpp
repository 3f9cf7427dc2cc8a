#include "common/gzip.hpp"

#include <gtest/gtest.h>

#include <string>

namespace mc {
namespace {

std::string sample_lines(int count) {
  std::string out;
  for (int i = 0; i < count; ++i) {
    out += R"({"recv_us":1739141034567123,"stream":"btcusdt@trade","data":{"e":"trade","t":)" + std::to_string(i) +
           "}}\n";
  }
  return out;
}

TEST(GzipTest, RoundTripsAtEveryLevel) {
  const std::string data = sample_lines(2000);
  for (int level = kMinGzipLevel; level <= kMaxGzipLevel; ++level) {
    Result<std::string> gz = gzip_compress(data, level);
    ASSERT_TRUE(gz) << gz.status().message();
    EXPECT_LT(gz->size(), data.size() / 4) << "level " << level;
    // gzip magic and the DEFLATE method
    EXPECT_EQ(static_cast<unsigned char>((*gz)[0]), 0x1f);
    EXPECT_EQ(static_cast<unsigned char>((*gz)[1]), 0x8b);
    Result<std::string> back = gunzip(*gz);
    ASSERT_TRUE(back) << back.status().message();
    EXPECT_EQ(*back, data) << "level " << level;
  }
}

TEST(GzipTest, HigherLevelsCompressBetter) {
  const std::string data = sample_lines(5000);
  Result<std::string> fast = gzip_compress(data, 1);
  Result<std::string> best = gzip_compress(data, 9);
  ASSERT_TRUE(fast && best);
  EXPECT_LT(best->size(), fast->size());
}

TEST(GzipTest, IsDeterministic) {
  const std::string data = sample_lines(300);
  Result<std::string> a = gzip_compress(data, 6);
  Result<std::string> b = gzip_compress(data, 6);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);
}

TEST(GzipTest, EmptyInputRoundTrips) {
  Result<std::string> gz = gzip_compress("", 6);
  ASSERT_TRUE(gz);
  Result<std::string> back = gunzip(*gz);
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->empty());
}

TEST(GzipTest, RefusesLevelsOutsideTheRange) {
  EXPECT_EQ(gzip_compress("x", 0).status().kind(), ErrorKind::kFatal);
  EXPECT_EQ(gzip_compress("x", kMaxGzipLevel + 1).status().kind(), ErrorKind::kFatal);
}

TEST(GzipTest, ConcatenatedMembersInflateToTheirConcatenation) {
  Result<std::string> first = gzip_compress("first\n", 6);
  Result<std::string> second = gzip_compress("second\n", 1);
  ASSERT_TRUE(first && second);
  Result<std::string> back = gunzip(*first + *second);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, "first\nsecond\n");
}

TEST(GzipTest, BadInputIsCorrupt) {
  Result<std::string> gz = gzip_compress(sample_lines(100), 6);
  ASSERT_TRUE(gz);
  EXPECT_EQ(gunzip("").status().kind(), ErrorKind::kCorrupt);
  EXPECT_EQ(gunzip("not gzip at all, not at all").status().kind(), ErrorKind::kCorrupt);
  EXPECT_EQ(gunzip(gz->substr(0, gz->size() - 3)).status().kind(), ErrorKind::kCorrupt);  // truncated

  std::string flipped = *gz;
  flipped[flipped.size() / 2] ^= 0x40;
  EXPECT_FALSE(gunzip(flipped));  // either bad DEFLATE data or a CRC mismatch

  std::string bad_crc = *gz;
  bad_crc[bad_crc.size() - 8] ^= 0x01;
  EXPECT_EQ(gunzip(bad_crc).status().kind(), ErrorKind::kCorrupt);
}

TEST(GzipTest, StopsAtTheOutputLimit) {
  const std::string data(100000, 'a');
  Result<std::string> gz = gzip_compress(data, 6);
  ASSERT_TRUE(gz);
  EXPECT_EQ(gunzip(*gz, 99999).status().kind(), ErrorKind::kCorrupt);
  Result<std::string> exact = gunzip(*gz, 100000);
  ASSERT_TRUE(exact);
  EXPECT_EQ(exact->size(), data.size());
}

TEST(GzipTest, GrowsTheBufferWhenTheSizeHintIsSmall) {
  // The first buffer is sized from the last member's trailer, far too small for a big first member.
  const std::string big = sample_lines(5000);
  Result<std::string> first = gzip_compress(big, 6);
  Result<std::string> second = gzip_compress("x\n", 6);
  ASSERT_TRUE(first && second);
  Result<std::string> back = gunzip(*first + *second);
  ASSERT_TRUE(back) << back.status().message();
  EXPECT_EQ(*back, big + "x\n");
}

TEST(GzipCompressorTest, RefusesLevelsOutsideTheRange) {
  EXPECT_FALSE(GzipCompressor::create(kMinGzipLevel - 1));
  EXPECT_FALSE(GzipCompressor::create(kMaxGzipLevel + 1));
}

// The buffer kept from a large input must not leak into a smaller one's member, and each member is
// what the one-shot function gives for the same input.
TEST(GzipCompressorTest, ReusedAcrossInputsOfDifferentSizes) {
  Result<GzipCompressor> compressor = GzipCompressor::create(6);
  ASSERT_TRUE(compressor) << compressor.status().message();
  for (const int count : {5000, 3, 0, 700}) {
    const std::string data = sample_lines(count);
    Result<std::string_view> gz = compressor->compress(data);
    ASSERT_TRUE(gz) << gz.status().message();
    Result<std::string> once = gzip_compress(data, 6);
    ASSERT_TRUE(once);
    EXPECT_EQ(*gz, *once) << count << " lines";
    Result<std::string> back = gunzip(*gz);
    ASSERT_TRUE(back) << back.status().message();
    EXPECT_EQ(*back, data) << count << " lines";
  }
}

}  // namespace
}  // namespace mc
