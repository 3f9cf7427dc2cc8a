#include <gtest/gtest.h>

#include <fstream>

#include "aws/credential_providers.hpp"
#include "scripted_http_client.hpp"
#include "support/fake_clock.hpp"
#include "support/temp_dir.hpp"

namespace mc {
namespace {

using testing::fake_env;
using testing::http_response;

constexpr const char* kRoleArn = "arn:aws:iam::123456789012:role/collector";
constexpr const char* kSts = "https://sts.eu-west-1.amazonaws.com/";

std::string sts_success(std::string_view key, std::string_view expiration) {
  return "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
         "<AssumeRoleWithWebIdentityResult>"
         "<SubjectFromWebIdentityToken>system:serviceaccount:ns:sa</SubjectFromWebIdentityToken>"
         "<Credentials><AccessKeyId>" +
         std::string(key) +
         "</AccessKeyId><SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>"
         "<SessionToken>FwoGZXIvYXdzEXAMPLE</SessionToken><Expiration>" +
         std::string(expiration) +
         "</Expiration></Credentials></AssumeRoleWithWebIdentityResult>"
         "<ResponseMetadata><RequestId>ad4156e9</RequestId></ResponseMetadata>"
         "</AssumeRoleWithWebIdentityResponse>";
}

std::string sts_error(std::string_view code, std::string_view message) {
  return "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>" +
         std::string(code) + "</Code><Message>" + std::string(message) +
         "</Message></Error><RequestId>x</RequestId></ErrorResponse>";
}

class WebIdentityTest : public ::testing::Test {
 protected:
  WebIdentityTest() { write_token("eyJhbGciOiJSUzI1NiJ9.payload.sig\n"); }

  void write_token(std::string_view token) { std::ofstream(token_file_) << token; }

  std::unique_ptr<CredentialsProvider> provider(std::map<std::string, std::string> extra = {},
                                                std::string region = "eu-west-1") {
    extra.emplace("AWS_WEB_IDENTITY_TOKEN_FILE", token_file_.string());
    extra.emplace("AWS_ROLE_ARN", kRoleArn);
    return make_web_identity_provider(fake_env(std::move(extra)), std::move(region), http_->client(), clock_);
  }

  Status fetch_error(CredentialsProvider& p) {
    auto result = p.fetch();
    EXPECT_FALSE(result);
    return result ? Status::ok() : result.status();
  }

  testing::TempDir dir_;
  std::filesystem::path token_file_ = dir_.path() / "token";
  testing::FakeClock clock_{1'795'580'000'000'000};
  std::shared_ptr<testing::HttpScript> http_ = std::make_shared<testing::HttpScript>();
};

TEST_F(WebIdentityTest, AssumesTheRoleWithAnUnsignedFormPost) {
  http_->expect("POST", kSts, http_response(200, sts_success("ASIASTSKEY", "2026-11-25T06:00:00Z")));
  auto result = provider()->fetch();
  ASSERT_TRUE(result) << result.status().message();
  ASSERT_TRUE(*result);
  const AwsCredentials& credentials = **result;
  EXPECT_EQ(credentials.access_key_id, "ASIASTSKEY");
  EXPECT_EQ(credentials.secret_access_key, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY");
  EXPECT_EQ(credentials.session_token, "FwoGZXIvYXdzEXAMPLE");
  ASSERT_TRUE(credentials.expiration);
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(credentials.expiration->time_since_epoch()).count(),
            1795586400);
  EXPECT_EQ(credentials.provider, "web-identity");

  const auto requests = http_->requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].body,
            "Action=AssumeRoleWithWebIdentity&Version=2011-06-15"
            "&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fcollector"
            "&RoleSessionName=market-collector-1795580000"
            "&WebIdentityToken=eyJhbGciOiJSUzI1NiJ9.payload.sig");
  EXPECT_EQ(requests[0].header("content-type"), "application/x-www-form-urlencoded; charset=utf-8");
  EXPECT_FALSE(requests[0].header("authorization"));
}

TEST_F(WebIdentityTest, EndpointSessionNameAndRegionVariants) {
  http_->expect("POST", "http://127.0.0.1:4566/", http_response(200, sts_success("A1", "2026-11-25T06:00:00Z")));
  ASSERT_TRUE(provider({{"AWS_ENDPOINT_URL_STS", "http://127.0.0.1:4566/"}, {"AWS_ROLE_SESSION_NAME", "pod-7"}})
                  ->fetch());
  EXPECT_NE(http_->requests()[0].body.find("&RoleSessionName=pod-7&"), std::string::npos);

  http_->expect("POST", "https://sts.amazonaws.com/", http_response(200, sts_success("A2", "2026-11-25T06:00:00Z")));
  ASSERT_TRUE(provider({}, "")->fetch());
  http_->expect("POST", "https://sts.cn-north-1.amazonaws.com.cn/",
                http_response(200, sts_success("A3", "2026-11-25T06:00:00Z")));
  ASSERT_TRUE(provider({}, "cn-north-1")->fetch());
  EXPECT_EQ(http_->remaining(), 0u);
}

TEST_F(WebIdentityTest, TheTokenFileIsReadAgainOnEveryFetch) {
  auto p = provider();
  http_->expect("POST", kSts, http_response(200, sts_success("A1", "2026-11-25T06:00:00Z")));
  ASSERT_TRUE(p->fetch());
  write_token("rotated-token");
  http_->expect("POST", kSts, http_response(200, sts_success("A2", "2026-11-25T07:00:00Z")));
  ASSERT_TRUE(p->fetch());
  EXPECT_TRUE(http_->requests()[1].body.ends_with("&WebIdentityToken=rotated-token"));
}

TEST_F(WebIdentityTest, NotConfiguredWithoutEitherVariable) {
  auto result = make_web_identity_provider(fake_env({}), "eu-west-1", http_->client(), clock_)->fetch();
  ASSERT_TRUE(result);
  EXPECT_FALSE(*result);
}

TEST_F(WebIdentityTest, HalfTheConfigurationIsFatal) {
  auto no_role = make_web_identity_provider(fake_env({{"AWS_WEB_IDENTITY_TOKEN_FILE", token_file_.string()}}),
                                            "eu-west-1", http_->client(), clock_);
  EXPECT_EQ(fetch_error(*no_role).message(), "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not");
  auto no_file =
      make_web_identity_provider(fake_env({{"AWS_ROLE_ARN", kRoleArn}}), "eu-west-1", http_->client(), clock_);
  EXPECT_EQ(fetch_error(*no_file).message(), "AWS_ROLE_ARN is set but AWS_WEB_IDENTITY_TOKEN_FILE is not");
}

TEST_F(WebIdentityTest, UnreadableOrEmptyTokenFileIsFatal) {
  std::filesystem::remove(token_file_);
  const Status missing = fetch_error(*provider());
  EXPECT_EQ(missing.kind(), ErrorKind::kFatal);
  EXPECT_NE(missing.message().find(token_file_.string()), std::string::npos) << missing.message();
  write_token("\n");
  const Status empty = fetch_error(*provider());
  EXPECT_EQ(empty.kind(), ErrorKind::kFatal);
  EXPECT_NE(empty.message().find("is empty"), std::string::npos) << empty.message();
  EXPECT_TRUE(http_->requests().empty());
}

TEST_F(WebIdentityTest, StsErrorsAreClassifiedAndNamed) {
  struct Case {
    long status;
    const char* code;
    ErrorKind kind;
  };
  const Case cases[] = {
      {403, "AccessDenied", ErrorKind::kFatal},
      {400, "IDPRejectedClaim", ErrorKind::kFatal},
      {400, "InvalidIdentityToken", ErrorKind::kRetryable},
      {400, "ExpiredTokenException", ErrorKind::kRetryable},
      {400, "IDPCommunicationError", ErrorKind::kRetryable},
      {400, "Throttling", ErrorKind::kRetryable},
      {503, "ServiceUnavailable", ErrorKind::kRetryable},
  };
  for (const Case& c : cases) {
    http_->expect("POST", kSts, http_response(c.status, sts_error(c.code, "why &amp; how")));
    const Status status = fetch_error(*provider());
    EXPECT_EQ(status.kind(), c.kind) << c.code;
    EXPECT_NE(status.message().find(std::string("HTTP ") + std::to_string(c.status) + " " + c.code + ": why & how"),
              std::string::npos)
        << status.message();
    EXPECT_NE(status.message().find(kRoleArn), std::string::npos) << status.message();
  }
}

TEST_F(WebIdentityTest, TransportErrorsKeepTheirKind) {
  http_->expect("POST", kSts, Status::retryable("POST sts: Timeout was reached"));
  const Status status = fetch_error(*provider());
  EXPECT_EQ(status.kind(), ErrorKind::kRetryable);
  EXPECT_NE(status.message().find("Timeout was reached"), std::string::npos);
}

TEST_F(WebIdentityTest, IncompleteOrBadResponsesAreErrors) {
  http_->expect("POST", kSts, http_response(200, "<Credentials><AccessKeyId>A</AccessKeyId></Credentials>"));
  EXPECT_NE(fetch_error(*provider()).message().find("lacks SecretAccessKey"), std::string::npos);
  http_->expect("POST", kSts, http_response(200, sts_success("A", "tomorrow")));
  EXPECT_NE(fetch_error(*provider()).message().find("\"tomorrow\""), std::string::npos);
}

}  // namespace
}  // namespace mc
