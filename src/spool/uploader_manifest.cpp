#include "spool/uploader_manifest.hpp"

#include <simdjson.h>

namespace mc {
namespace {

std::string quoted_member(std::string_view name, std::string_view value) {
  std::string out = "\"";
  out.append(name).append("\":\"").append(value).append("\"");
  return out;
}

}  // namespace

Result<VouchedPayload> read_vouched_payload(std::string_view manifest) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(manifest.data(), manifest.size()).get(root) != simdjson::SUCCESS) {
    return Status::corrupt("manifest is not JSON");
  }
  std::string_view key;
  std::string_view sha;
  if (root["payload"]["s3_key"].get(key) != simdjson::SUCCESS) {
    return Status::corrupt("manifest has no string payload.s3_key");
  }
  if (root["payload"]["sha256"].get(sha) != simdjson::SUCCESS) {
    return Status::corrupt("manifest has no string payload.sha256");
  }
  return VouchedPayload{std::string(key), std::string(sha)};
}

Result<std::string> manifest_with_s3_key(std::string_view manifest, std::string_view new_key) {
  Result<VouchedPayload> payload = read_vouched_payload(manifest);
  if (!payload) return payload.status();
  // Keys are made of characters JSON does not escape (part_name.hpp), so the member is found as text.
  const std::string old_member = quoted_member("s3_key", payload->s3_key);
  const std::size_t at = manifest.find(old_member);
  if (at == std::string_view::npos || manifest.find(old_member, at + 1) != std::string_view::npos) {
    return Status::corrupt("manifest does not name payload.s3_key exactly once as " + old_member);
  }
  std::string out(manifest);
  out.replace(at, old_member.size(), quoted_member("s3_key", new_key));
  return out;
}

}  // namespace mc
