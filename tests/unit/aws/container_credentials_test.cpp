#include <gtest/gtest.h>

#include <fstream>

#include "aws/credential_providers.hpp"
#include "scripted_http_client.hpp"
#include "support/temp_dir.hpp"

namespace mc {
namespace {

using testing::fake_env;
using testing::http_response;

constexpr const char* kBody =
    R"({"RoleArn":"arn:aws:iam::1:role/task","AccessKeyId":"ASIACONTAINER","SecretAccessKey":"containersecret",)"
    R"("Token":"containertoken","Expiration":"2026-11-25T06:00:00Z"})";

class ContainerTest : public ::testing::Test {
 protected:
  std::unique_ptr<CredentialsProvider> provider(std::map<std::string, std::string> variables) {
    return make_container_provider(fake_env(std::move(variables)), http_->client());
  }
  Status fetch_error(std::map<std::string, std::string> variables) {
    auto result = provider(std::move(variables))->fetch();
    EXPECT_FALSE(result);
    return result ? Status::ok() : result.status();
  }

  testing::TempDir dir_;
  std::shared_ptr<testing::HttpScript> http_ = std::make_shared<testing::HttpScript>();
};

TEST_F(ContainerTest, RelativeUriGoesToTheEcsAgent) {
  http_->expect("GET", "http://169.254.170.2/v2/credentials/abc", http_response(200, kBody));
  auto result = provider({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc"}})->fetch();
  ASSERT_TRUE(result) << result.status().message();
  ASSERT_TRUE(*result);
  EXPECT_EQ((*result)->access_key_id, "ASIACONTAINER");
  EXPECT_EQ((*result)->secret_access_key, "containersecret");
  EXPECT_EQ((*result)->session_token, "containertoken");
  EXPECT_TRUE((*result)->expiration);
  EXPECT_EQ((*result)->provider, "container");
  EXPECT_FALSE(http_->requests()[0].header("authorization"));
}

TEST_F(ContainerTest, RelativeUriWinsOverFullUri) {
  http_->expect("GET", "http://169.254.170.2/creds", http_response(200, kBody));
  EXPECT_TRUE(provider({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "creds"},
                        {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:8080/x"}})
                  ->fetch());
  EXPECT_EQ(http_->remaining(), 0u);
}

TEST_F(ContainerTest, FullUriWithTokenFromFileWinsOverTokenVariable) {
  const auto token_file = dir_.path() / "token";
  std::ofstream(token_file) << "file-token\n";
  http_->expect("GET", "http://169.254.170.23/v1/credentials", http_response(200, kBody));
  EXPECT_TRUE(provider({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://169.254.170.23/v1/credentials"},
                        {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", token_file.string()},
                        {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "variable-token"}})
                  ->fetch());
  EXPECT_EQ(http_->requests()[0].header("Authorization"), "file-token");
}

TEST_F(ContainerTest, TokenVariableIsSentAsAuthorization) {
  http_->expect("GET", "http://localhost:9911/creds", http_response(200, kBody));
  EXPECT_TRUE(provider({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://localhost:9911/creds"},
                        {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "Basic abc"}})
                  ->fetch());
  EXPECT_EQ(http_->requests()[0].header("Authorization"), "Basic abc");
}

TEST_F(ContainerTest, FullUriAllowsHttpsAnywhereAndHttpOnlyToLocalAddresses) {
  for (const char* allowed : {"https://creds.example.com/x", "http://127.0.0.1:1/x", "http://127.1.2.3/x",
                              "http://[::1]:80/x", "http://169.254.170.2/x", "http://[fd00:ec2::23]/x",
                              "http://user@localhost/x"}) {
    http_->expect("GET", allowed, http_response(200, kBody));
    EXPECT_TRUE(provider({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", allowed}})->fetch()) << allowed;
  }
  for (const char* refused : {"http://creds.example.com/x", "http://10.0.0.1/x", "http://127.0.0.1.evil.com/x",
                              "http://169.254.169.254/x", "ftp://127.0.0.1/x", "http://localhost@evil.com/x"}) {
    const Status status = fetch_error({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", refused}});
    EXPECT_EQ(status.kind(), ErrorKind::kFatal) << refused;
    EXPECT_NE(status.message().find(refused), std::string::npos) << status.message();
  }
  EXPECT_EQ(http_->remaining(), 0u);
}

TEST_F(ContainerTest, NotConfiguredWithoutUris) {
  auto result = provider({{"AWS_CONTAINER_AUTHORIZATION_TOKEN", "t"}})->fetch();
  ASSERT_TRUE(result);
  EXPECT_FALSE(*result);
}

TEST_F(ContainerTest, UnreadableTokenFileOrLineBreakInTokenIsFatal) {
  const Status missing = fetch_error({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1/x"},
                                      {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", (dir_.path() / "nope").string()}});
  EXPECT_EQ(missing.kind(), ErrorKind::kFatal);
  EXPECT_NE(missing.message().find("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"), std::string::npos);
  const Status smuggled = fetch_error({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1/x"},
                                       {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "a\r\nX-Evil: 1"}});
  EXPECT_EQ(smuggled.kind(), ErrorKind::kFatal);
  EXPECT_TRUE(http_->requests().empty());
}

TEST_F(ContainerTest, BadJsonAndHttpErrors) {
  const std::map<std::string, std::string> env = {{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/c"}};
  http_->expect("GET", "http://169.254.170.2/c", http_response(200, "{not json"));
  const Status bad_json = fetch_error(env);
  EXPECT_EQ(bad_json.kind(), ErrorKind::kFatal);
  EXPECT_NE(bad_json.message().find("not a JSON object"), std::string::npos) << bad_json.message();

  http_->expect("GET", "http://169.254.170.2/c", http_response(200, R"({"AccessKeyId":"A","SecretAccessKey":"s",)"
                                                                    R"("Expiration":"2026/11/25"})"));
  EXPECT_NE(fetch_error(env).message().find("\"2026/11/25\""), std::string::npos);

  http_->expect("GET", "http://169.254.170.2/c",
                http_response(403, R"({"code":"AccessDenied","message":"token does not match"})"));
  const Status denied = fetch_error(env);
  EXPECT_EQ(denied.kind(), ErrorKind::kFatal);
  EXPECT_NE(denied.message().find("HTTP 403 AccessDenied token does not match"), std::string::npos)
      << denied.message();

  http_->expect("GET", "http://169.254.170.2/c", http_response(500, "oops"));
  EXPECT_EQ(fetch_error(env).kind(), ErrorKind::kRetryable);
  http_->expect("GET", "http://169.254.170.2/c", Status::retryable("GET 169.254.170.2: Couldn't connect"));
  EXPECT_EQ(fetch_error(env).kind(), ErrorKind::kRetryable);
}

}  // namespace
}  // namespace mc
