#pragma once
// The region to sign for when the configuration does not name one, found the way the AWS SDKs find it.

#include <string>

#include "aws/aws_env.hpp"
#include "common/status.hpp"

namespace mc {

class ImdsClient;

// AWS_REGION, then AWS_DEFAULT_REGION, then `region` of profile AWS_PROFILE (default "default") in the
// config file, then IMDS placement/region; imds is nullptr when IMDS is disabled. kFatal listing every
// place tried when none has a region, or naming the file and line when the config file is malformed.
Result<std::string> resolve_region(const EnvLookup& env, ImdsClient* imds);

}  // namespace mc
