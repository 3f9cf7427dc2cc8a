// The container credential endpoint: ECS task roles (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI) and EKS Pod
// Identity or a local agent (AWS_CONTAINER_CREDENTIALS_FULL_URI + authorization token).

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

#include <nlohmann/json.hpp>

#include "aws/credential_providers.hpp"
#include "aws/credentials_parsing.hpp"
#include "common/file_util.hpp"

namespace mc {
namespace {

constexpr std::string_view kEcsHost = "http://169.254.170.2";
constexpr std::chrono::milliseconds kContainerTimeout{5'000};

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// The host of an absolute URL, lower-cased, without user info, port or IPv6 brackets.
std::string url_host(std::string_view url) {
  const std::size_t scheme_end = url.find("://");
  std::string_view rest = scheme_end == std::string_view::npos ? url : url.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (const std::size_t at = rest.rfind('@'); at != std::string_view::npos) rest.remove_prefix(at + 1);
  if (rest.starts_with('[')) return lower(rest.substr(1, rest.find(']') - 1));
  return lower(rest.substr(0, rest.find(':')));
}

bool is_ipv4_loopback(std::string_view host) {
  if (!host.starts_with("127.")) return false;
  int dots = 0;
  for (char c : host) {
    if (c == '.') ++dots;
    else if (c < '0' || c > '9') return false;
  }
  return dots == 3;
}

// Plain http is allowed only where the traffic cannot leave the host or the task: what the SDKs allow.
bool is_allowed_http_host(const std::string& host) {
  static constexpr std::array<std::string_view, 5> kAllowed = {"localhost", "::1", "169.254.170.2",
                                                                "169.254.170.23", "fd00:ec2::23"};
  return is_ipv4_loopback(host) || std::find(kAllowed.begin(), kAllowed.end(), host) != kAllowed.end();
}

class ContainerProvider final : public CredentialsProvider {
 public:
  ContainerProvider(EnvLookup env, std::unique_ptr<HttpClient> http) : env_(std::move(env)), http_(std::move(http)) {}
  std::string_view name() const override { return "container"; }

  Result<std::optional<AwsCredentials>> fetch() override {
    Result<std::optional<std::string>> url = endpoint();
    if (!url) return url.status();
    if (!*url) return std::optional<AwsCredentials>();
    Result<std::optional<std::string>> token = authorization_token();
    if (!token) return token.status();

    HttpRequest request{.method = "GET", .url = **url, .headers = {{"Accept", "application/json"}},
                        .timeout = kContainerTimeout};
    if (*token) request.headers.push_back({"Authorization", **token});
    const std::string context = "container credentials endpoint " + **url;
    Result<HttpResponse> response = http_->send(request);
    if (!response) return response.status().with_context(context);
    if (response->status != 200) return endpoint_error(*response, context);
    Result<AwsCredentials> credentials = parse_credentials_json(response->body, "container", false);
    if (!credentials) return credentials.status().with_context(context);
    return std::optional<AwsCredentials>(std::move(credentials).value());
  }

 private:
  Result<std::optional<std::string>> endpoint() const {
    if (std::optional<std::string> relative = env_value(env_, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) {
      return std::optional<std::string>(std::string(kEcsHost) + (relative->starts_with('/') ? "" : "/") + *relative);
    }
    std::optional<std::string> full = env_value(env_, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
    if (!full) return std::optional<std::string>();
    const std::string scheme = lower(full->substr(0, full->find("://")));
    if (scheme == "https") return full;
    if (scheme == "http" && is_allowed_http_host(url_host(*full))) return full;
    return Status::fatal("AWS_CONTAINER_CREDENTIALS_FULL_URI \"" + *full +
                         "\" is not allowed: use https, or http to a loopback address, 169.254.170.2, "
                         "169.254.170.23 or fd00:ec2::23");
  }

  Result<std::optional<std::string>> authorization_token() const {
    std::optional<std::string> token;
    if (std::optional<std::string> file = env_value(env_, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) {
      Result<std::string> text = read_file(*file);
      if (!text) {
        return Status::fatal(text.status().message()).with_context("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
      }
      token = std::move(text).value();
      while (!token->empty() && (token->back() == '\n' || token->back() == '\r')) token->pop_back();
    } else {
      token = env_value(env_, "AWS_CONTAINER_AUTHORIZATION_TOKEN");
    }
    // A line break would end the header early and smuggle in another.
    if (token && token->find_first_of("\r\n") != std::string::npos) {
      return Status::fatal("the container authorization token holds a line break");
    }
    return token;
  }

  static Status endpoint_error(const HttpResponse& response, const std::string& context) {
    std::string detail;
    const nlohmann::json json = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
    if (json.is_object()) {
      for (const char* field : {"code", "message"}) {
        const auto it = json.find(field);
        if (it != json.end() && it->is_string()) detail += " " + it->get<std::string>();
      }
    }
    const std::string message = context + ": HTTP " + std::to_string(response.status) + detail;
    if (response.status >= 500 || response.status == 429) return Status::retryable(message);
    return Status::fatal(message);
  }

  EnvLookup env_;
  std::unique_ptr<HttpClient> http_;
};

}  // namespace

std::unique_ptr<CredentialsProvider> make_container_provider(EnvLookup env, std::unique_ptr<HttpClient> http) {
  return std::make_unique<ContainerProvider>(std::move(env), std::move(http));
}

}  // namespace mc
