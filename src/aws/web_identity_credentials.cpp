// AssumeRoleWithWebIdentity: the provider EKS (IRSA) and other OIDC set-ups configure through
// AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN.

#include <array>
#include <chrono>
#include <utility>

#include "aws/credential_providers.hpp"
#include "aws/credentials_parsing.hpp"
#include "net/xml_text.hpp"
#include "aws/sigv4.hpp"
#include "common/file_util.hpp"

namespace mc {
namespace {

constexpr std::chrono::milliseconds kStsTimeout{10'000};

std::string trim_whitespace(const std::string& text) {
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  const std::size_t last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

std::string sts_endpoint(const EnvLookup& env, const std::string& region) {
  if (std::optional<std::string> url = env_value(env, "AWS_ENDPOINT_URL_STS")) {
    while (url->ends_with('/')) url->pop_back();
    return *url;
  }
  if (region.empty()) return "https://sts.amazonaws.com";
  const char* domain = region.starts_with("cn-") ? ".amazonaws.com.cn" : ".amazonaws.com";
  return "https://sts." + region + domain;
}

// STS errors a later attempt may not see: the identity provider was unreachable or slow, the token file
// was not yet rotated, or STS throttled us.
bool is_transient_sts_error(const std::string& code) {
  static constexpr std::array<std::string_view, 5> kTransient = {
      "IDPCommunicationError", "InvalidIdentityToken", "ExpiredTokenException", "Throttling", "RequestLimitExceeded"};
  for (std::string_view transient : kTransient) {
    if (code == transient) return true;
  }
  return false;
}

class WebIdentityProvider final : public CredentialsProvider {
 public:
  WebIdentityProvider(EnvLookup env, std::string region, std::unique_ptr<HttpClient> http, std::string session_name)
      : env_(std::move(env)), region_(std::move(region)), http_(std::move(http)),
        default_session_name_(std::move(session_name)) {}

  std::string_view name() const override { return "web-identity"; }

  Result<std::optional<AwsCredentials>> fetch() override {
    const std::optional<std::string> token_file = env_value(env_, "AWS_WEB_IDENTITY_TOKEN_FILE");
    const std::optional<std::string> role_arn = env_value(env_, "AWS_ROLE_ARN");
    if (!token_file && !role_arn) return std::optional<AwsCredentials>();
    if (!token_file) return Status::fatal("AWS_ROLE_ARN is set but AWS_WEB_IDENTITY_TOKEN_FILE is not");
    if (!role_arn) return Status::fatal("AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not");

    Result<std::string> token = read_file(*token_file);
    if (!token) {
      return Status::fatal(token.status().message()).with_context("web identity token (AWS_WEB_IDENTITY_TOKEN_FILE)");
    }
    const std::string web_identity_token = trim_whitespace(*token);
    if (web_identity_token.empty()) return Status::fatal("web identity token file " + *token_file + " is empty");

    const std::string session_name = env_value(env_, "AWS_ROLE_SESSION_NAME").value_or(default_session_name_);
    const std::string body = "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=" +
                             uri_encode(*role_arn, true) + "&RoleSessionName=" + uri_encode(session_name, true) +
                             "&WebIdentityToken=" + uri_encode(web_identity_token, true);
    const std::string url = sts_endpoint(env_, region_) + "/";
    const HttpRequest request{
        .method = "POST",
        .url = url,
        .headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}},
        .body = body,
        .timeout = kStsTimeout,
    };
    const std::string context = "STS AssumeRoleWithWebIdentity " + url + " role " + *role_arn;
    Result<HttpResponse> response = http_->send(request);
    if (!response) return response.status().with_context(context);
    if (response->status != 200) return sts_error(*response, context);

    Result<AwsCredentials> credentials = parse_response(response->body);
    if (!credentials) return credentials.status().with_context(context);
    return std::optional<AwsCredentials>(std::move(credentials).value());
  }

 private:
  static Status sts_error(const HttpResponse& response, const std::string& context) {
    const std::string code = xml_element_text(response.body, "Code").value_or("");
    const std::string message = context + ": HTTP " + std::to_string(response.status) + " " + code + ": " +
                                xml_element_text(response.body, "Message").value_or("");
    if (response.status >= 500 || response.status == 429 || is_transient_sts_error(code)) {
      return Status::retryable(message);
    }
    return Status::fatal(message);
  }

  static Result<AwsCredentials> parse_response(const std::string& xml) {
    AwsCredentials credentials{.provider = "web-identity"};
    const std::array<std::pair<const char*, std::string*>, 3> fields = {{
        {"AccessKeyId", &credentials.access_key_id},
        {"SecretAccessKey", &credentials.secret_access_key},
        {"SessionToken", &credentials.session_token},
    }};
    for (const auto& [tag, field] : fields) {
      std::optional<std::string> text = xml_element_text(xml, tag);
      if (!text || text->empty()) return Status::fatal(std::string("response lacks ") + tag);
      *field = std::move(*text);
    }
    const std::optional<std::string> expiration = xml_element_text(xml, "Expiration");
    if (!expiration) return Status::fatal("response lacks Expiration");
    Result<std::chrono::system_clock::time_point> parsed = parse_expiration(*expiration);
    if (!parsed) return parsed.status();
    credentials.expiration = *parsed;
    return credentials;
  }

  EnvLookup env_;
  std::string region_;
  std::unique_ptr<HttpClient> http_;
  std::string default_session_name_;
};

}  // namespace

std::unique_ptr<CredentialsProvider> make_web_identity_provider(EnvLookup env, std::string region,
                                                                std::unique_ptr<HttpClient> http, const Clock& clock) {
  const std::int64_t start_seconds = clock.system_now_us() / 1'000'000;
  return std::make_unique<WebIdentityProvider>(std::move(env), std::move(region), std::move(http),
                                               "market-collector-" + std::to_string(start_seconds));
}

}  // namespace mc
