#pragma once
// The providers of the AWS default credential chain, in the order the chain asks them:
//   environment -> web identity (STS) -> shared files (profile) -> container (ECS/EKS) -> IMDSv2.
// The first provider configured on this host answers; one that is configured but fails stops the chain
// (falling through would silently sign with other credentials than the operator set up).
// Providers read an injected environment and are called from one thread at a time.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/aws_env.hpp"
#include "aws/credentials.hpp"
#include "common/clock.hpp"
#include "common/status.hpp"
#include "net/http_client.hpp"

namespace mc {

class ImdsClient;

class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  // For logs and error context: "environment", "web-identity", "profile", "container", "imds", "chain".
  virtual std::string_view name() const = 0;
  // nullopt: not configured here, ask the next provider. An error: configured but no credentials;
  // kFatal for what an operator must fix (a missing variable, a refused role), kRetryable for what may
  // pass (timeouts, 5xx, throttling).
  virtual Result<std::optional<AwsCredentials>> fetch() = 0;
};

// AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN). One of the pair without the other is
// kFatal naming the missing variable.
std::unique_ptr<CredentialsProvider> make_environment_provider(EnvLookup env);

// AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN (+ AWS_ROLE_SESSION_NAME) -> STS AssumeRoleWithWebIdentity,
// an unsigned form POST to AWS_ENDPOINT_URL_STS, else https://sts.<region>.amazonaws.com (the global
// https://sts.amazonaws.com when region is empty). The token file is read again on every fetch, since
// Kubernetes rotates it. The default session name is "market-collector-<unix seconds at start>".
std::unique_ptr<CredentialsProvider> make_web_identity_provider(EnvLookup env, std::string region,
                                                                std::unique_ptr<HttpClient> http, const Clock& clock);

// aws_access_key_id / aws_secret_access_key / aws_session_token of profile AWS_PROFILE (default
// "default") in the credentials file and the config file, the credentials file winning key by key. Files
// are read again on every fetch. A profile without keys is "not configured"; a profile named by
// AWS_PROFILE that neither file has, and the unsupported ways of getting credentials (role_arn,
// source_profile, credential_source, credential_process, web_identity_token_file, sso_*), are kFatal
// naming the profile and the key.
std::unique_ptr<CredentialsProvider> make_profile_provider(EnvLookup env);

// AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (on http://169.254.170.2), else AWS_CONTAINER_CREDENTIALS_FULL_URI,
// which must be https or plain http to a loopback address, 169.254.170.2, 169.254.170.23 or fd00:ec2::23
// (host names other than "localhost" are refused for http: they are not resolved to check them). The
// Authorization header comes from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (read on every fetch), else
// AWS_CONTAINER_AUTHORIZATION_TOKEN.
std::unique_ptr<CredentialsProvider> make_container_provider(EnvLookup env, std::unique_ptr<HttpClient> http);

// The instance profile's role credentials over IMDSv2. imds is nullptr when IMDS is disabled
// (AWS_EC2_METADATA_DISABLED=true): then this provider is never configured.
std::unique_ptr<CredentialsProvider> make_imds_provider(std::shared_ptr<ImdsClient> imds);

// Asks providers in order (see the top of this file). nullopt when none is configured.
std::unique_ptr<CredentialsProvider> make_provider_chain(std::vector<std::unique_ptr<CredentialsProvider>> providers);

struct DefaultChainOptions {
  EnvLookup env;
  std::string region;                // STS's regional endpoint; empty: the global one
  HttpClientFactory http;            // clients for STS
  HttpClientFactory container_http;  // clients for the container endpoint: bypass_proxy set
  std::shared_ptr<ImdsClient> imds;  // nullptr when IMDS is disabled
};

// environment -> web identity -> profile -> container -> IMDS.
std::unique_ptr<CredentialsProvider> make_default_chain(DefaultChainOptions options, const Clock& clock);

}  // namespace mc
