#pragma once
// The EC2 instance metadata service, IMDSv2 only: a session token from PUT /latest/api/token, sent with
// every GET. The token is kept and renewed a minute before its TTL ends; a 401 gets a new token and the
// GET is sent once more. Timeouts are short and attempts few, so a host off EC2 is not held up long.

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "aws/aws_env.hpp"
#include "aws/credentials.hpp"
#include "common/clock.hpp"
#include "common/status.hpp"
#include "net/http_client.hpp"

namespace mc {

struct ImdsOptions {
  std::string endpoint = "http://169.254.169.254";  // no trailing '/'
  std::chrono::seconds token_ttl{21'600};
  std::chrono::milliseconds request_timeout{2'000};  // whole exchange, per request
  int attempts = 2;                                  // per call, for transport errors and 5xx
};

// nullopt when AWS_EC2_METADATA_DISABLED is "true" (any case). AWS_EC2_METADATA_SERVICE_ENDPOINT
// replaces the endpoint.
std::optional<ImdsOptions> imds_options_from_env(const EnvLookup& env);

// What the HTTP client given to ImdsClient should be made with: a 1 s connect timeout.
HttpClientOptions imds_http_client_options();

// Thread-safe: calls are serialised (they share one HTTP client and one token).
class ImdsClient {
 public:
  ImdsClient(std::unique_ptr<HttpClient> http, const Clock& clock, ImdsOptions options);

  // The body of GET <endpoint><path>, e.g. "/latest/meta-data/instance-id". 404 and other 4xx are kFatal,
  // transport errors and 5xx kRetryable after the last attempt.
  Result<std::string> get(std::string_view path);

  Result<std::string> instance_id();
  Result<std::string> region();  // placement/region
  // The credentials of the instance profile's role (iam/security-credentials/<role>).
  Result<AwsCredentials> credentials();

 private:
  Result<std::string> token_locked();
  Result<HttpResponse> get_with_token_locked(const std::string& url);

  std::unique_ptr<HttpClient> http_;
  const Clock& clock_;
  const ImdsOptions options_;
  std::mutex mutex_;
  std::string token_;  // empty: none yet
  std::chrono::steady_clock::time_point token_renew_at_;
};

}  // namespace mc
