#include "config/value_parsers.hpp"

#include <fstream>

#include <gtest/gtest.h>

#include "support/temp_dir.hpp"
#include "test_ca_pem.hpp"

namespace mc {
namespace {

TEST(ParseUnsignedTest, AcceptsDigitsWithinTheRange) {
  EXPECT_EQ(*parse_unsigned("1024", 1024, 2048), 1024u);
  EXPECT_EQ(*parse_unsigned("2048", 1024, 2048), 2048u);
  EXPECT_EQ(*parse_unsigned("18446744073709551615", 0, UINT64_MAX), UINT64_MAX);
}

TEST(ParseUnsignedTest, RefusesJunkSignsOverflowAndTrailingCharacters) {
  for (const char* bad : {"", "abc", "-1", "+1", " 1", "1 ", "1x", "0x10", "1.5", "18446744073709551616"}) {
    EXPECT_FALSE(parse_unsigned(bad, 0, UINT64_MAX).is_ok()) << bad;
  }
  EXPECT_EQ(parse_unsigned("3", 4, 9).status().message(), "expected an integer from 4 to 9");
  EXPECT_EQ(parse_unsigned("3", 4, UINT64_MAX).status().message(), "expected an integer of at least 4");
}

TEST(ParseBoolTest, KnowsTheSixSpellingsInAnyCase) {
  for (const char* yes : {"true", "TRUE", "1", "yes", "Yes"}) EXPECT_TRUE(*parse_bool(yes)) << yes;
  for (const char* no : {"false", "False", "0", "no", "NO"}) EXPECT_FALSE(*parse_bool(no)) << no;
  for (const char* bad : {"", "on", "2", "y", "truee"}) EXPECT_FALSE(parse_bool(bad).is_ok()) << bad;
}

TEST(SymbolListTest, TrimsUpperCasesAndKeepsOrder) {
  const auto symbols = parse_symbol_list(" btcusdt ,ETHUSDT,\tbnbbtc");
  ASSERT_TRUE(symbols.is_ok()) << symbols.status().message();
  EXPECT_EQ(*symbols, (std::vector<std::string>{"BTCUSDT", "ETHUSDT", "BNBBTC"}));
}

TEST(SymbolListTest, RefusesEmptyEntriesInnerSpacesDuplicatesAndBadLengths) {
  for (const char* bad : {"", " ", ",", "BTCUSDT,", ",BTCUSDT", "BTCUSDT,,ETHUSDT", "BTC USDT", "BTCUSDT,btcusdt",
                          "B", "BTC-USDT", "AAAAAAAAAAAAAAAAAAAAA"}) {
    EXPECT_FALSE(parse_symbol_list(bad).is_ok()) << bad;
  }
  EXPECT_NE(parse_symbol_list("BTCUSDT,btcusdt").status().message().find("BTCUSDT appears twice"), std::string::npos);
  EXPECT_NE(parse_symbol_list("AB,,CD").status().message().find("entry 2 is empty"), std::string::npos);
}

TEST(InstanceIdTest, AllowsTheKeySafeAlphabetUpTo64Characters) {
  EXPECT_TRUE(check_instance_id("").is_ok());
  EXPECT_TRUE(check_instance_id("i-0abc.collector_1").is_ok());
  EXPECT_TRUE(check_instance_id(std::string(64, 'a')).is_ok());
  EXPECT_FALSE(check_instance_id(std::string(65, 'a')).is_ok());
  EXPECT_FALSE(check_instance_id("a b").is_ok());
  EXPECT_FALSE(check_instance_id("a/b").is_ok());
}

TEST(InstanceIdTest, HostNameBecomesAValidId) {
  EXPECT_EQ(instance_id_from_host_name("ip-10-0-0-1.ec2.internal"), "ip-10-0-0-1.ec2.internal");
  EXPECT_EQ(instance_id_from_host_name("my host+box"), "my-host-box");
  EXPECT_EQ(instance_id_from_host_name(std::string(80, 'h')).size(), kMaxInstanceIdLength);
}

TEST(UrlTest, ChecksSchemeHostAndPort) {
  EXPECT_TRUE(check_url("wss://stream.binance.com:9443", {"ws", "wss"}).is_ok());
  EXPECT_TRUE(check_url("ws://127.0.0.1:9000/path?x=1", {"ws", "wss"}).is_ok());
  EXPECT_TRUE(check_url("ws://[::1]:9000", {"ws", "wss"}).is_ok());
  EXPECT_TRUE(check_url("http://fake_exchange", {"http", "https"}).is_ok());
  for (const char* bad : {"", "https://x", "wss://", "wss://:9443", "stream.binance.com", "wss://h:0", "wss://h:99999",
                          "wss://h:", "wss://h x", "WSS://h", "wss://[::1"}) {
    EXPECT_FALSE(check_url(bad, {"ws", "wss"}).is_ok()) << bad;
  }
  EXPECT_EQ(check_url("ftp://x", {"http", "https"}).message(),
            "expected a URL starting with http:// or https:// followed by host[:port]");
}

TEST(HostPortTest, NeedsHostAndPort) {
  EXPECT_TRUE(check_host_port("127.0.0.1:9108").is_ok());
  EXPECT_TRUE(check_host_port("[::]:9108").is_ok());
  EXPECT_TRUE(check_host_port("localhost:1").is_ok());
  for (const char* bad : {"", "9108", "localhost", ":9108", "host:0", "host:65536", "host:abc", "ho st:1"}) {
    EXPECT_FALSE(check_host_port(bad).is_ok()) << bad;
  }
}

TEST(S3PrefixTest, EmptyOrSafeCharactersEndingInSlash) {
  for (const char* good : {"", "raw/", "a/b=c/", "x.y_z-1/"}) EXPECT_TRUE(check_s3_prefix(good).is_ok()) << good;
  for (const char* bad : {"/raw/", "raw", "a/../b/", "../", "raw prefix/", "a//b/", "ü/"}) {
    EXPECT_FALSE(check_s3_prefix(bad).is_ok()) << bad;
  }
}

TEST(BucketAndRegionTest, FollowAwsNaming) {
  EXPECT_TRUE(check_bucket_name("").is_ok());
  EXPECT_TRUE(check_bucket_name("my-bucket.data1").is_ok());
  for (const char* bad : {"ab", "My_Bucket", "-bucket", "bucket-"}) EXPECT_FALSE(check_bucket_name(bad).is_ok()) << bad;
  EXPECT_TRUE(check_bucket_name(std::string(63, 'a')).is_ok());
  EXPECT_FALSE(check_bucket_name(std::string(64, 'a')).is_ok());
  EXPECT_TRUE(check_region("eu-west-1").is_ok());
  EXPECT_FALSE(check_region("EU WEST").is_ok());
}

TEST(HeaderTokenTest, RefusesSpacesAndControlCharacters) {
  EXPECT_TRUE(check_header_token("abcDEF123-_").is_ok());
  EXPECT_FALSE(check_header_token("ab cd").is_ok());
  EXPECT_FALSE(check_header_token("ab\r\nX-Evil: 1").is_ok());
}

TEST(PemTest, NeedsAReadableFileWithACertificate) {
  testing::TempDir dir;
  const auto good = dir.path() / "ca.pem";
  const auto junk = dir.path() / "junk.pem";
  std::ofstream(good) << kTestCaPem;
  std::ofstream(junk) << "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n";
  EXPECT_TRUE(check_pem_certificates(good).is_ok());
  EXPECT_NE(check_pem_certificates(junk).message().find("no PEM certificate"), std::string::npos);
  EXPECT_FALSE(check_pem_certificates(dir.path() / "missing.pem").is_ok());
  EXPECT_FALSE(check_pem_certificates(dir.path()).is_ok());
}

}  // namespace
}  // namespace mc
