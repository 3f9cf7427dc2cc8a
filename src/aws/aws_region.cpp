#include "aws/aws_region.hpp"

#include "aws/imds_client.hpp"
#include "aws/shared_config.hpp"

namespace mc {

Result<std::string> resolve_region(const EnvLookup& env, ImdsClient* imds) {
  for (const char* variable : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    if (std::optional<std::string> region = env_value(env, variable)) return std::move(*region);
  }
  std::string tried = "AWS_REGION and AWS_DEFAULT_REGION are unset";

  const SharedConfigFiles files = shared_config_files(env);
  Result<ProfileSections> profile = load_profile(files);
  if (!profile) return profile.status().with_context("looking for the AWS region");
  if (profile->config_file) {
    const auto it = profile->config_file->find("region");
    if (it != profile->config_file->end() && !it->second.empty()) return it->second;
  }
  if (files.config_file) {
    tried += "; profile \"" + files.profile + "\" in " + files.config_file->string() + " has no region";
  } else {
    tried += "; no config file (HOME is not set)";
  }

  if (imds == nullptr) return Status::fatal("no AWS region: " + tried + "; IMDS is disabled");
  Result<std::string> region = imds->region();
  if (region && !region->empty()) return std::move(region).value();
  return Status::fatal("no AWS region: " + tried + "; IMDS placement/region: " +
                       (region ? "empty" : region.status().message()));
}

}  // namespace mc
