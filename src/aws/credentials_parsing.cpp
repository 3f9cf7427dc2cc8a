#include "aws/credentials_parsing.hpp"

#include <array>
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

std::string decode_xml_entities(std::string_view text) {
  static constexpr std::array<std::pair<std::string_view, char>, 5> kEntities = {
      {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}}};
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    bool decoded = false;
    if (text[i] == '&') {
      for (const auto& [entity, character] : kEntities) {
        if (text.substr(i, entity.size()) == entity) {
          out += character;
          i += entity.size();
          decoded = true;
          break;
        }
      }
    }
    if (!decoded) out += text[i++];
  }
  return out;
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

std::optional<std::string> xml_element_text(std::string_view xml, std::string_view tag) {
  const std::string open = "<" + std::string(tag) + ">";
  const std::string close = "</" + std::string(tag) + ">";
  const std::size_t start = xml.find(open);
  if (start == std::string_view::npos) return std::nullopt;
  const std::size_t text_start = start + open.size();
  const std::size_t end = xml.find(close, text_start);
  if (end == std::string_view::npos) return std::nullopt;
  return decode_xml_entities(xml.substr(text_start, end - text_start));
}

}  // namespace mc
