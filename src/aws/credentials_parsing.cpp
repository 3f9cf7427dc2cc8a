#include "aws/credentials_parsing.hpp"

#include <utility>

#include <nlohmann/json.hpp>

#include "net/http_date.hpp"

namespace mc {
namespace {

std::optional<std::string> string_member(const nlohmann::json& object, const char* name) {
  const auto it = object.find(name);
  if (it == object.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

}  // namespace

Result<std::chrono::system_clock::time_point> parse_expiration(std::string_view text) {
  if (std::optional<std::chrono::system_clock::time_point> time = parse_iso8601_utc(text)) return *time;
  return Status::fatal("bad credentials Expiration \"" + std::string(text) +
                       "\": expected ISO 8601 UTC such as 2026-11-25T06:00:00Z");
}

Result<AwsCredentials> parse_credentials_json(std::string_view body, std::string provider, bool expiration_required) {
  const nlohmann::json json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  // The parser's own message quotes the text around the error, which may be part of a secret.
  if (json.is_discarded() || !json.is_object()) {
    return Status::fatal(provider + ": credentials response is not a JSON object");
  }
  if (std::optional<std::string> code = string_member(json, "Code"); code && *code != "Success") {
    return Status::retryable(provider + ": credentials response Code=" + *code + ": " +
                             string_member(json, "Message").value_or(""));
  }

  AwsCredentials credentials;
  std::optional<std::string> key = string_member(json, "AccessKeyId");
  std::optional<std::string> secret = string_member(json, "SecretAccessKey");
  if (!key || key->empty()) return Status::fatal(provider + ": credentials response lacks AccessKeyId");
  if (!secret || secret->empty()) return Status::fatal(provider + ": credentials response lacks SecretAccessKey");
  credentials.access_key_id = std::move(*key);
  credentials.secret_access_key = std::move(*secret);
  credentials.session_token = string_member(json, "Token").value_or("");

  if (std::optional<std::string> expiration = string_member(json, "Expiration")) {
    Result<std::chrono::system_clock::time_point> parsed = parse_expiration(*expiration);
    if (!parsed) return parsed.status().with_context(provider);
    credentials.expiration = *parsed;
  } else if (expiration_required) {
    return Status::fatal(provider + ": credentials response lacks Expiration");
  }
  credentials.provider = std::move(provider);
  return credentials;
}

}  // namespace mc
