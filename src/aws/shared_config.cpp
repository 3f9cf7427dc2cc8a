#include "aws/shared_config.hpp"

namespace mc {
namespace {

std::optional<std::filesystem::path> file_path(const EnvLookup& env, std::string_view variable,
                                               std::string_view default_name) {
  const std::optional<std::string> home = env_value(env, "HOME");
  if (std::optional<std::string> value = env_value(env, variable)) {
    if (value->starts_with("~/") && home) return std::filesystem::path(*home) / value->substr(2);
    return std::filesystem::path(*value);
  }
  if (!home) return std::nullopt;
  return std::filesystem::path(*home) / ".aws" / default_name;
}

Result<std::optional<IniFile>> load_optional(const std::optional<std::filesystem::path>& path) {
  if (!path) return std::optional<IniFile>();
  return load_ini_file(*path);
}

std::optional<IniSection> find_section(const IniFile& file, const std::string& name) {
  const auto it = file.sections.find(name);
  if (it == file.sections.end()) return std::nullopt;
  return it->second;
}

}  // namespace

SharedConfigFiles shared_config_files(const EnvLookup& env) {
  std::optional<std::string> profile = env_value(env, "AWS_PROFILE");
  return SharedConfigFiles{
      .credentials_file = file_path(env, "AWS_SHARED_CREDENTIALS_FILE", "credentials"),
      .config_file = file_path(env, "AWS_CONFIG_FILE", "config"),
      .profile = profile.value_or("default"),
      .profile_explicit = profile.has_value(),
  };
}

Result<ProfileSections> load_profile(const SharedConfigFiles& files) {
  Result<std::optional<IniFile>> credentials = load_optional(files.credentials_file);
  if (!credentials) return credentials.status();
  Result<std::optional<IniFile>> config = load_optional(files.config_file);
  if (!config) return config.status();

  ProfileSections sections;
  if (*credentials) sections.credentials_file = find_section(**credentials, files.profile);
  if (*config) {
    sections.config_file = find_section(**config, "profile " + files.profile);
    if (!sections.config_file && files.profile == "default") sections.config_file = find_section(**config, "default");
  }
  return sections;
}

}  // namespace mc
