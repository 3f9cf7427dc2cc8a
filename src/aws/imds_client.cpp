#include "aws/imds_client.hpp"

#include <algorithm>
#include <cctype>
#include <utility>

#include "aws/credentials_parsing.hpp"

namespace mc {
namespace {

constexpr std::string_view kTokenPath = "/latest/api/token";
constexpr std::string_view kRoleListPath = "/latest/meta-data/iam/security-credentials/";
// Renewing this long before the TTL ends keeps a token from expiring between our check and IMDS's.
constexpr std::chrono::seconds kTokenRenewMargin{60};

std::string trim(std::string_view text) {
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return "";
  const std::size_t last = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(first, last - first + 1));
}

// 429: IMDS throttles per instance; 5xx: IMDS is restarting. Any other refusal needs an operator.
Status http_status_error(const std::string& what, long status) {
  const std::string message = what + ": HTTP " + std::to_string(status);
  return status >= 500 || status == 429 ? Status::retryable(message) : Status::fatal(message);
}

}  // namespace

std::optional<ImdsOptions> imds_options_from_env(const EnvLookup& env) {
  if (std::optional<std::string> disabled = env_value(env, "AWS_EC2_METADATA_DISABLED")) {
    std::string value = trim(*disabled);
    std::transform(value.begin(), value.end(), value.begin(), [](unsigned char c) { return std::tolower(c); });
    if (value == "true") return std::nullopt;
  }
  ImdsOptions options;
  if (std::optional<std::string> endpoint = env_value(env, "AWS_EC2_METADATA_SERVICE_ENDPOINT")) {
    while (endpoint->ends_with('/')) endpoint->pop_back();
    options.endpoint = std::move(*endpoint);
  }
  return options;
}

HttpClientOptions imds_http_client_options() {
  HttpClientOptions options;
  options.connect_timeout = std::chrono::milliseconds(1'000);
  options.bypass_proxy = true;
  return options;
}

ImdsClient::ImdsClient(std::unique_ptr<HttpClient> http, const Clock& clock, ImdsOptions options)
    : http_(std::move(http)), clock_(clock), options_(std::move(options)) {}

Result<std::string> ImdsClient::token_locked() {
  if (!token_.empty() && clock_.steady_now() < token_renew_at_) return token_;
  token_.clear();
  const std::string url = options_.endpoint + std::string(kTokenPath);
  const HttpRequest request{
      .method = "PUT",
      .url = url,
      .headers = {{"X-aws-ec2-metadata-token-ttl-seconds", std::to_string(options_.token_ttl.count())}},
      .timeout = options_.request_timeout,
  };
  const auto requested_at = clock_.steady_now();
  Result<HttpResponse> response = http_->send(request);
  if (!response) return response.status().with_context("IMDS session token PUT " + url);
  if (response->status == 403) {
    return Status::fatal("IMDS session token PUT " + url + ": HTTP 403: IMDS is disabled for this instance");
  }
  if (response->status != 200) return http_status_error("IMDS session token PUT " + url, response->status);
  std::string token = trim(response->body);
  if (token.empty()) return Status::retryable("IMDS session token PUT " + url + ": empty token");
  token_ = std::move(token);
  token_renew_at_ = requested_at + options_.token_ttl - kTokenRenewMargin;
  return token_;
}

Result<HttpResponse> ImdsClient::get_with_token_locked(const std::string& url) {
  for (bool renewed = false;; renewed = true) {
    Result<std::string> token = token_locked();
    if (!token) return token.status();
    const HttpRequest request{
        .method = "GET",
        .url = url,
        .headers = {{"X-aws-ec2-metadata-token", *token}},
        .timeout = options_.request_timeout,
    };
    Result<HttpResponse> response = http_->send(request);
    if (!response) return response.status().with_context("IMDS GET " + url);
    // IMDS forgets tokens on restart or when the TTL passed by its own clock: one fresh token, one retry.
    if (response->status == 401 && !renewed) {
      token_.clear();
      continue;
    }
    return response;
  }
}

Result<std::string> ImdsClient::get(std::string_view path) {
  std::lock_guard lock(mutex_);
  const std::string url = options_.endpoint + std::string(path);
  Status last = Status::retryable("IMDS GET " + url + ": no attempt made");
  for (int attempt = 0; attempt < options_.attempts; ++attempt) {
    Result<HttpResponse> response = get_with_token_locked(url);
    if (response && response->status == 200) return std::move(response->body);
    last = response ? http_status_error("IMDS GET " + url, response->status) : response.status();
    if (last.kind() != ErrorKind::kRetryable) return last;
  }
  return last;
}

Result<std::string> ImdsClient::instance_id() {
  Result<std::string> body = get("/latest/meta-data/instance-id");
  if (!body) return body.status();
  return trim(*body);
}

Result<std::string> ImdsClient::region() {
  Result<std::string> body = get("/latest/meta-data/placement/region");
  if (!body) return body.status();
  return trim(*body);
}

Result<AwsCredentials> ImdsClient::credentials() {
  Result<std::string> roles = get(kRoleListPath);
  if (!roles) {
    if (roles.status().kind() == ErrorKind::kFatal) {
      return roles.status().with_context("listing the instance's IAM role (is an instance profile attached?)");
    }
    return roles.status();
  }
  // One role per instance profile; the listing is one name per line.
  const std::string role = trim(std::string_view(*roles).substr(0, roles->find('\n')));
  if (role.empty()) return Status::fatal("IMDS lists no IAM role for this instance");
  Result<std::string> body = get(std::string(kRoleListPath) + role);
  if (!body) return body.status();
  return parse_credentials_json(*body, "imds", true);
}

}  // namespace mc
