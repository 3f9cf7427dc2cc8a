#pragma once
// Reading what credential endpoints answer: the JSON of the container endpoint and IMDS, the XML of STS,
// and the ISO 8601 expiration both carry. Error messages never quote a secret: a malformed body is
// reported by what is missing, not by its text.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "aws/credentials.hpp"
#include "common/status.hpp"

namespace mc {

// "2026-11-25T06:00:00Z", optionally with fractional seconds (dropped). Anything else is kFatal naming
// the value.
Result<std::chrono::system_clock::time_point> parse_expiration(std::string_view text);

// {"AccessKeyId", "SecretAccessKey", "Token", "Expiration"} as the container endpoint and IMDS send them;
// an IMDS "Code" other than "Success" is an error. Malformed bodies are kFatal. provider fills
// AwsCredentials::provider and prefixes errors.
Result<AwsCredentials> parse_credentials_json(std::string_view body, std::string provider, bool expiration_required);

}  // namespace mc
