#include "store/s3_address.hpp"

#include <gtest/gtest.h>

namespace mc {
namespace {

constexpr const char* kKey = "raw/exchange=binance/symbol=BTCUSDT/part a+b~c%d\xC3\xA9.gz";
constexpr const char* kEncodedKey = "raw/exchange%3Dbinance/symbol%3DBTCUSDT/part%20a%2Bb~c%25d%C3%A9.gz";

TEST(S3AddressTest, AwsUsesVirtualHostedAddressing) {
  const auto address = address_object({.bucket = "bkt", .region = "eu-west-1"}, kKey);
  ASSERT_TRUE(address);
  EXPECT_EQ(address->host, "bkt.s3.eu-west-1.amazonaws.com");
  EXPECT_EQ(address->canonical_uri, std::string("/") + kEncodedKey);
  EXPECT_EQ(address->url, std::string("https://bkt.s3.eu-west-1.amazonaws.com/") + kEncodedKey);
}

TEST(S3AddressTest, ForcedPathStyleOnAws) {
  const auto address = address_object({.bucket = "bkt", .region = "eu-west-1", .force_path_style = true}, "raw/k");
  ASSERT_TRUE(address);
  EXPECT_EQ(address->host, "s3.eu-west-1.amazonaws.com");
  EXPECT_EQ(address->url, "https://s3.eu-west-1.amazonaws.com/bkt/raw/k");
}

TEST(S3AddressTest, DottedBucketUsesPathStyle) {
  const auto address = address_object({.bucket = "my.bucket", .region = "us-east-1"}, "raw/k");
  ASSERT_TRUE(address);
  EXPECT_EQ(address->url, "https://s3.us-east-1.amazonaws.com/my.bucket/raw/k");
}

TEST(S3AddressTest, EndpointImpliesPathStyleAndKeepsItsPort) {
  const auto address = address_object({.bucket = "bkt", .region = "us-east-1", .endpoint = "http://127.0.0.1:5000/"}, kKey);
  ASSERT_TRUE(address);
  EXPECT_EQ(address->host, "127.0.0.1:5000");
  EXPECT_EQ(address->canonical_uri, std::string("/bkt/") + kEncodedKey);
  EXPECT_EQ(address->url, std::string("http://127.0.0.1:5000/bkt/") + kEncodedKey);
}

TEST(S3AddressTest, DefaultPortIsLeftOutOfTheHost) {
  const auto address = address_object({.bucket = "bkt", .region = "r", .endpoint = "https://minio.local:443"}, "k");
  ASSERT_TRUE(address);
  EXPECT_EQ(address->host, "minio.local");
}

TEST(S3AddressTest, EndpointWithAPathIsRefused) {
  EXPECT_EQ(address_object({.bucket = "b", .region = "r", .endpoint = "http://h/base"}, "k").status().kind(),
            ErrorKind::kFatal);
  EXPECT_FALSE(address_object({.bucket = "b", .region = "r", .endpoint = "ftp://h"}, "k"));
}

}  // namespace
}  // namespace mc
