#pragma once
// Where the AWS shared files are and what one profile says in them. The credentials file names sections
// after the profile ("[name]"); the config file writes "[profile name]", except "[default]".

#include <filesystem>
#include <optional>
#include <string>

#include "aws/aws_env.hpp"
#include "aws/ini_file.hpp"
#include "common/status.hpp"

namespace mc {

struct SharedConfigFiles {
  // AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE ("~/" expanded), else under $HOME/.aws/; nullopt when
  // neither the variable nor HOME is set.
  std::optional<std::filesystem::path> credentials_file;
  std::optional<std::filesystem::path> config_file;
  std::string profile;            // AWS_PROFILE, else "default"
  bool profile_explicit = false;  // AWS_PROFILE was set: a missing profile is then an error
};

SharedConfigFiles shared_config_files(const EnvLookup& env);

// The profile's section in each file; nullopt where a file is missing or lacks the profile. In the config
// file "[profile default]" wins over "[default]". Unreadable or malformed files are kFatal.
struct ProfileSections {
  std::optional<IniSection> credentials_file;
  std::optional<IniSection> config_file;
};
Result<ProfileSections> load_profile(const SharedConfigFiles& files);

}  // namespace mc
