#pragma once
// Endpoints that would carry signed requests, or credentials, over plain http: S3_ENDPOINT and
// AWS_ENDPOINT_URL_STS. Allowed (test stacks such as moto and MinIO run on http), but said once at start.

#include <optional>
#include <string>
#include <string_view>

#include "aws/aws_env.hpp"

namespace mc {

// One warning line naming every plain-http endpoint, or nullopt when there is none.
std::optional<std::string> plaintext_endpoint_warning(std::string_view s3_endpoint, const EnvLookup& env);

}  // namespace mc
