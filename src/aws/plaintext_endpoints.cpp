#include "aws/plaintext_endpoints.hpp"

#include <algorithm>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace mc {
namespace {

bool is_plain_http(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  return url.size() >= kScheme.size() &&
         std::equal(kScheme.begin(), kScheme.end(), url.begin(),
                    [](char a, char b) { return a == (b >= 'A' && b <= 'Z' ? static_cast<char>(b - 'A' + 'a') : b); });
}

}  // namespace

std::optional<std::string> plaintext_endpoint_warning(std::string_view s3_endpoint, const EnvLookup& env) {
  std::vector<std::string> named;
  if (is_plain_http(s3_endpoint)) named.push_back(fmt::format("S3_ENDPOINT={}", s3_endpoint));
  if (const std::optional<std::string> sts = env_value(env, "AWS_ENDPOINT_URL_STS"); sts && is_plain_http(*sts)) {
    named.push_back(fmt::format("AWS_ENDPOINT_URL_STS={}", *sts));
  }
  if (named.empty()) return std::nullopt;
  return fmt::format(
      "PLAIN HTTP WITH CREDENTIALS: {} is not https; signed requests (and, from STS, session credentials) "
      "cross the network unencrypted",
      fmt::join(named, " "));
}

}  // namespace mc
