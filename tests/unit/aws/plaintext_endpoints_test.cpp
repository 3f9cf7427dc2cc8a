#include "aws/plaintext_endpoints.hpp"

#include <map>
#include <string>

#include <gtest/gtest.h>

#include "aws/imds_client.hpp"

namespace mc {
namespace {

EnvLookup env(std::map<std::string, std::string> variables) {
  return [variables = std::move(variables)](std::string_view name) -> std::optional<std::string> {
    const auto it = variables.find(std::string(name));
    if (it == variables.end()) return std::nullopt;
    return it->second;
  };
}

TEST(PlaintextEndpointWarningTest, NoneForHttpsOrDefaultEndpoints) {
  EXPECT_FALSE(plaintext_endpoint_warning("", env({})));
  EXPECT_FALSE(plaintext_endpoint_warning("https://s3.example.com", env({{"AWS_ENDPOINT_URL_STS", "https://sts.x"}})));
}

TEST(PlaintextEndpointWarningTest, OneLineNamingEveryPlainHttpEndpoint) {
  const std::optional<std::string> s3_only = plaintext_endpoint_warning("http://127.0.0.1:9000", env({}));
  ASSERT_TRUE(s3_only);
  EXPECT_NE(s3_only->find("PLAIN HTTP WITH CREDENTIALS: S3_ENDPOINT=http://127.0.0.1:9000 is not https"),
            std::string::npos)
      << *s3_only;

  const std::optional<std::string> both =
      plaintext_endpoint_warning("HTTP://minio:9000", env({{"AWS_ENDPOINT_URL_STS", "http://sts.local"}}));
  ASSERT_TRUE(both);
  EXPECT_NE(both->find("S3_ENDPOINT=HTTP://minio:9000 AWS_ENDPOINT_URL_STS=http://sts.local is not https"),
            std::string::npos)
      << *both;
}

TEST(CredentialEndpointClientsTest, ImdsClientsBypassTheProxy) {
  EXPECT_TRUE(imds_http_client_options().bypass_proxy);
}

}  // namespace
}  // namespace mc
