#include "aws/imds_client.hpp"

#include <gtest/gtest.h>

#include "scripted_http_client.hpp"
#include "support/fake_clock.hpp"

namespace mc {
namespace {

using testing::fake_env;
using testing::http_response;

constexpr const char* kToken = "http://169.254.169.254/latest/api/token";
constexpr const char* kRoles = "http://169.254.169.254/latest/meta-data/iam/security-credentials/";
constexpr const char* kRole = "http://169.254.169.254/latest/meta-data/iam/security-credentials/collector-role";
constexpr const char* kInstanceId = "http://169.254.169.254/latest/meta-data/instance-id";
constexpr const char* kCredentialsBody =
    R"({"Code":"Success","LastUpdated":"2026-11-24T23:51:30Z","Type":"AWS-HMAC","AccessKeyId":"ASIAIMDSEXAMPLE1",)"
    R"("SecretAccessKey":"imdssecret","Token":"imdstoken","Expiration":"2026-11-25T06:00:00Z"})";

class ImdsClientTest : public ::testing::Test {
 protected:
  testing::FakeClock clock_;
  std::shared_ptr<testing::HttpScript> http_ = std::make_shared<testing::HttpScript>();
  ImdsClient imds_{http_->client(), clock_, ImdsOptions{}};
};

TEST_F(ImdsClientTest, FetchesRoleCredentialsWithASessionToken) {
  http_->expect("PUT", kToken, http_response(200, "AQAEAtoken=="));
  http_->expect("GET", kRoles, http_response(200, "collector-role\n"));
  http_->expect("GET", kRole, http_response(200, kCredentialsBody));
  Result<AwsCredentials> credentials = imds_.credentials();
  ASSERT_TRUE(credentials) << credentials.status().message();
  EXPECT_EQ(credentials->access_key_id, "ASIAIMDSEXAMPLE1");
  EXPECT_EQ(credentials->secret_access_key, "imdssecret");
  EXPECT_EQ(credentials->session_token, "imdstoken");
  EXPECT_TRUE(credentials->expiration);
  EXPECT_EQ(credentials->provider, "imds");

  const auto requests = http_->requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].header("X-aws-ec2-metadata-token-ttl-seconds"), "21600");
  EXPECT_FALSE(requests[0].header("X-aws-ec2-metadata-token"));
  for (std::size_t i = 1; i < requests.size(); ++i) {
    EXPECT_EQ(requests[i].header("X-aws-ec2-metadata-token"), "AQAEAtoken==");
  }
  for (const auto& request : requests) EXPECT_EQ(request.timeout, std::chrono::milliseconds(2000));
}

TEST_F(ImdsClientTest, TokenIsReusedAndRenewedBeforeItsTtlEnds) {
  http_->expect("PUT", kToken, http_response(200, "first"));
  http_->expect("GET", kInstanceId, http_response(200, "i-0123456789abcdef0"));
  http_->expect("GET", kInstanceId, http_response(200, "i-0123456789abcdef0"));
  ASSERT_TRUE(imds_.instance_id());
  clock_.advance(std::chrono::hours(5));
  ASSERT_TRUE(imds_.instance_id());

  // 6 h TTL: a minute before it ends, a new token is asked for.
  clock_.advance(std::chrono::minutes(59));
  http_->expect("PUT", kToken, http_response(200, "second"));
  http_->expect("GET", kInstanceId, http_response(200, "i-0123456789abcdef0\n"));
  Result<std::string> id = imds_.instance_id();
  ASSERT_TRUE(id);
  EXPECT_EQ(*id, "i-0123456789abcdef0");
  EXPECT_EQ(http_->requests().back().header("X-aws-ec2-metadata-token"), "second");
  EXPECT_EQ(http_->remaining(), 0u);
}

TEST_F(ImdsClientTest, Unauthorized401GetsANewTokenOnce) {
  http_->expect("PUT", kToken, http_response(200, "stale"));
  http_->expect("GET", kInstanceId, http_response(401, ""));
  http_->expect("PUT", kToken, http_response(200, "fresh"));
  http_->expect("GET", kInstanceId, http_response(200, "i-1"));
  Result<std::string> id = imds_.instance_id();
  ASSERT_TRUE(id) << id.status().message();
  EXPECT_EQ(*id, "i-1");
  const auto requests = http_->requests();
  EXPECT_EQ(requests[1].header("X-aws-ec2-metadata-token"), "stale");
  EXPECT_EQ(requests[3].header("X-aws-ec2-metadata-token"), "fresh");
}

TEST_F(ImdsClientTest, Repeated401IsAnError) {
  http_->expect("PUT", kToken, http_response(200, "a"));
  http_->expect("GET", kInstanceId, http_response(401, ""));
  http_->expect("PUT", kToken, http_response(200, "b"));
  http_->expect("GET", kInstanceId, http_response(401, ""));
  Result<std::string> id = imds_.instance_id();
  ASSERT_FALSE(id);
  EXPECT_EQ(id.status().kind(), ErrorKind::kFatal);
  EXPECT_NE(id.status().message().find("HTTP 401"), std::string::npos);
  EXPECT_EQ(http_->remaining(), 0u);
}

TEST_F(ImdsClientTest, TransportErrorsAndServerErrorsAreRetriedOnce) {
  http_->expect("PUT", kToken, Status::retryable("PUT 169.254.169.254: Connection timed out"));
  http_->expect("PUT", kToken, http_response(200, "t"));
  http_->expect("GET", kInstanceId, http_response(200, "i-1"));
  EXPECT_TRUE(imds_.instance_id());

  http_->expect("GET", kInstanceId, http_response(429, ""));
  http_->expect("GET", kInstanceId, http_response(500, ""));
  Result<std::string> id = imds_.instance_id();
  ASSERT_FALSE(id);
  EXPECT_EQ(id.status().kind(), ErrorKind::kRetryable);
  EXPECT_NE(id.status().message().find("HTTP 500"), std::string::npos);
  EXPECT_EQ(http_->remaining(), 0u);
}

TEST_F(ImdsClientTest, OffEc2TheCallFailsRetryablyAfterTwoAttempts) {
  http_->expect("PUT", kToken, Status::retryable("PUT 169.254.169.254: Connection timed out"));
  http_->expect("PUT", kToken, Status::retryable("PUT 169.254.169.254: Connection timed out"));
  Result<AwsCredentials> credentials = imds_.credentials();
  ASSERT_FALSE(credentials);
  EXPECT_EQ(credentials.status().kind(), ErrorKind::kRetryable);
  EXPECT_NE(credentials.status().message().find("session token"), std::string::npos);
}

TEST_F(ImdsClientTest, TokenRefusedWith403IsFatal) {
  http_->expect("PUT", kToken, http_response(403, ""));
  Result<std::string> id = imds_.instance_id();
  ASSERT_FALSE(id);
  EXPECT_EQ(id.status().kind(), ErrorKind::kFatal);
  EXPECT_NE(id.status().message().find("disabled"), std::string::npos);
  EXPECT_EQ(http_->remaining(), 0u);
}

TEST_F(ImdsClientTest, NoInstanceProfileIsFatal) {
  http_->expect("PUT", kToken, http_response(200, "t"));
  http_->expect("GET", kRoles, http_response(404, ""));
  Result<AwsCredentials> credentials = imds_.credentials();
  ASSERT_FALSE(credentials);
  EXPECT_EQ(credentials.status().kind(), ErrorKind::kFatal);
  EXPECT_NE(credentials.status().message().find("instance profile"), std::string::npos);
}

TEST_F(ImdsClientTest, BadCredentialsBodies) {
  http_->expect("PUT", kToken, http_response(200, "t"));
  http_->expect("GET", kRoles, http_response(200, "collector-role"));
  http_->expect("GET", kRole, http_response(200, "<html>"));
  EXPECT_FALSE(imds_.credentials());
  http_->expect("GET", kRoles, http_response(200, "collector-role"));
  http_->expect("GET", kRole,
                http_response(200, R"({"Code":"Success","AccessKeyId":"A","SecretAccessKey":"s","Token":"t",)"
                                   R"("Expiration":"Wed, 25 Nov 2026 06:00:00 GMT"})"));
  Result<AwsCredentials> bad_expiration = imds_.credentials();
  ASSERT_FALSE(bad_expiration);
  EXPECT_NE(bad_expiration.status().message().find("\"Wed, 25 Nov 2026 06:00:00 GMT\""), std::string::npos);
}

TEST_F(ImdsClientTest, RegionComesFromPlacement) {
  http_->expect("PUT", kToken, http_response(200, "t"));
  http_->expect("GET", "http://169.254.169.254/latest/meta-data/placement/region", http_response(200, "ap-south-1"));
  Result<std::string> region = imds_.region();
  ASSERT_TRUE(region);
  EXPECT_EQ(*region, "ap-south-1");
}

TEST(ImdsOptionsTest, DisabledEndpointAndDefaults) {
  EXPECT_FALSE(imds_options_from_env(fake_env({{"AWS_EC2_METADATA_DISABLED", "true"}})));
  EXPECT_FALSE(imds_options_from_env(fake_env({{"AWS_EC2_METADATA_DISABLED", "TRUE"}})));
  EXPECT_TRUE(imds_options_from_env(fake_env({{"AWS_EC2_METADATA_DISABLED", "false"}})));

  const auto defaults = imds_options_from_env(fake_env({}));
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->endpoint, "http://169.254.169.254");
  EXPECT_EQ(defaults->token_ttl, std::chrono::seconds(21600));

  const auto local = imds_options_from_env(fake_env({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1338/"}}));
  ASSERT_TRUE(local);
  EXPECT_EQ(local->endpoint, "http://127.0.0.1:1338");
  EXPECT_EQ(imds_http_client_options().connect_timeout, std::chrono::milliseconds(1000));
}

}  // namespace
}  // namespace mc
