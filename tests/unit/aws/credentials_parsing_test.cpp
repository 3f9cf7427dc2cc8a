#include "aws/credentials_parsing.hpp"

#include <gtest/gtest.h>

namespace mc {
namespace {

std::int64_t epoch_seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

TEST(RedactAccessKeyTest, KeepsFourCharactersAtEachEnd) {
  EXPECT_EQ(redact_access_key("AKIAIOSFODNN7EXAMPLE"), "AKIA…MPLE");
  EXPECT_EQ(redact_access_key("ASIAXXXXXXXXXXXXXXXX1234"), "ASIA…1234");
}

TEST(RedactAccessKeyTest, HidesShortKeysWhole) {
  EXPECT_EQ(redact_access_key(""), "…");
  EXPECT_EQ(redact_access_key("AKIA1234567"), "…");
}

TEST(ParseExpirationTest, ReadsWholeAndFractionalSeconds) {
  const auto whole = parse_expiration("2026-11-25T06:00:00Z");
  ASSERT_TRUE(whole);
  EXPECT_EQ(epoch_seconds(*whole), 1795586400);
  const auto fractional = parse_expiration("2026-11-25T06:00:00.123Z");
  ASSERT_TRUE(fractional);
  EXPECT_EQ(epoch_seconds(*fractional), 1795586400);
}

TEST(ParseExpirationTest, BadFormatIsAnErrorNamingTheValue) {
  for (const char* bad : {"2026-11-25 06:00:00", "1795586400", "2026-11-25T06:00:00+00:00", ""}) {
    const auto parsed = parse_expiration(bad);
    ASSERT_FALSE(parsed) << bad;
    EXPECT_EQ(parsed.status().kind(), ErrorKind::kFatal);
    EXPECT_NE(parsed.status().message().find(std::string("\"") + bad + "\""), std::string::npos)
        << parsed.status().message();
  }
}

TEST(ParseCredentialsJsonTest, ReadsTheImdsAndContainerShape) {
  const auto credentials = parse_credentials_json(
      R"({"Code":"Success","LastUpdated":"2026-11-25T00:00:00Z","Type":"AWS-HMAC","AccessKeyId":"ASIAEXAMPLEKEY12",)"
      R"("SecretAccessKey":"s3cr3t","Token":"tok","Expiration":"2026-11-25T06:00:00Z"})",
      "imds", true);
  ASSERT_TRUE(credentials) << credentials.status().message();
  EXPECT_EQ(credentials->access_key_id, "ASIAEXAMPLEKEY12");
  EXPECT_EQ(credentials->secret_access_key, "s3cr3t");
  EXPECT_EQ(credentials->session_token, "tok");
  ASSERT_TRUE(credentials->expiration);
  EXPECT_EQ(epoch_seconds(*credentials->expiration), 1795586400);
  EXPECT_EQ(credentials->provider, "imds");
}

TEST(ParseCredentialsJsonTest, ExpirationMayBeOptional) {
  constexpr const char* kWithoutExpiration = R"({"AccessKeyId":"AKID","SecretAccessKey":"s"})";
  const auto credentials = parse_credentials_json(kWithoutExpiration, "container", false);
  ASSERT_TRUE(credentials);
  EXPECT_FALSE(credentials->expiration);
  EXPECT_FALSE(parse_credentials_json(kWithoutExpiration, "imds", true));
}

TEST(ParseCredentialsJsonTest, MalformedBodiesNeverQuoteTheSecret) {
  const char* bodies[] = {
      R"({"AccessKeyId":"AKID","SecretAccessKey":"topsecretvalue",)",  // truncated
      R"({"AccessKeyId":"AKID","SecretAccessKey":"topsecretvalue","Expiration":"soon"})",
      R"({"SecretAccessKey":"topsecretvalue"})",
      R"(["topsecretvalue"])",
  };
  for (const char* body : bodies) {
    const auto credentials = parse_credentials_json(body, "container", false);
    ASSERT_FALSE(credentials) << body;
    EXPECT_EQ(credentials.status().message().find("topsecretvalue"), std::string::npos)
        << credentials.status().message();
  }
}

TEST(ParseCredentialsJsonTest, ImdsCodeOtherThanSuccessIsAnError) {
  const auto credentials = parse_credentials_json(R"({"Code":"AssumeRoleUnauthorizedAccess","Message":"denied"})",
                                                  "imds", true);
  ASSERT_FALSE(credentials);
  EXPECT_NE(credentials.status().message().find("AssumeRoleUnauthorizedAccess"), std::string::npos);
}

}  // namespace
}  // namespace mc
