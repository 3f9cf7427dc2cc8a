#include "aws/credential_providers.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "aws/imds_client.hpp"
#include "aws/shared_config.hpp"

namespace mc {
namespace {

using FetchResult = Result<std::optional<AwsCredentials>>;

class EnvironmentProvider final : public CredentialsProvider {
 public:
  explicit EnvironmentProvider(EnvLookup env) : env_(std::move(env)) {}
  std::string_view name() const override { return "environment"; }

  FetchResult fetch() override {
    std::optional<std::string> key = env_value(env_, "AWS_ACCESS_KEY_ID");
    std::optional<std::string> secret = env_value(env_, "AWS_SECRET_ACCESS_KEY");
    if (!key && !secret) return std::optional<AwsCredentials>();
    if (!key) return Status::fatal("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not");
    if (!secret) return Status::fatal("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
    return std::optional<AwsCredentials>(AwsCredentials{
        .access_key_id = std::move(*key),
        .secret_access_key = std::move(*secret),
        .session_token = env_value(env_, "AWS_SESSION_TOKEN").value_or(""),
        .expiration = std::nullopt,
        .provider = "environment",
    });
  }

 private:
  EnvLookup env_;
};

// Profile keys that make an SDK assume a role, run a process or use SSO. Ignoring them would sign with
// other credentials than the profile means, so they are refused.
bool is_unsupported_profile_key(const std::string& key) {
  static constexpr std::array<std::string_view, 5> kUnsupported = {
      "role_arn", "source_profile", "credential_source", "credential_process", "web_identity_token_file"};
  for (std::string_view unsupported : kUnsupported) {
    if (key == unsupported) return true;
  }
  return key.starts_with("sso_");
}

std::string describe_files(const SharedConfigFiles& files) {
  std::string out;
  if (files.credentials_file) out += files.credentials_file->string();
  if (files.config_file) {
    if (!out.empty()) out += " or ";
    out += files.config_file->string();
  }
  return out.empty() ? "no shared files (HOME is not set)" : out;
}

class ProfileProvider final : public CredentialsProvider {
 public:
  explicit ProfileProvider(EnvLookup env) : env_(std::move(env)) {}
  std::string_view name() const override { return "profile"; }

  FetchResult fetch() override {
    const SharedConfigFiles files = shared_config_files(env_);
    Result<ProfileSections> sections = load_profile(files);
    if (!sections) return sections.status();
    const std::string where = "profile \"" + files.profile + "\" in " + describe_files(files);
    if (!sections->credentials_file && !sections->config_file) {
      if (files.profile_explicit) return Status::fatal(where + " (AWS_PROFILE) does not exist");
      return std::optional<AwsCredentials>();
    }

    IniSection merged = sections->config_file.value_or(IniSection{});
    if (sections->credentials_file) {
      for (const auto& [key, value] : *sections->credentials_file) merged[key] = value;
    }
    const auto unsupported = std::find_if(merged.begin(), merged.end(), [](const auto& setting) {
      return is_unsupported_profile_key(setting.first);
    });
    if (unsupported != merged.end()) {
      return Status::fatal(where + ": \"" + unsupported->first +
                           "\" is not supported; give the profile aws_access_key_id and aws_secret_access_key, "
                           "or use environment variables, web identity, the container endpoint or an "
                           "instance profile");
    }

    const auto key = merged.find("aws_access_key_id");
    const auto secret = merged.find("aws_secret_access_key");
    if (key == merged.end() && secret == merged.end()) return std::optional<AwsCredentials>();
    if (key == merged.end() || key->second.empty()) return Status::fatal(where + " lacks aws_access_key_id");
    if (secret == merged.end() || secret->second.empty()) return Status::fatal(where + " lacks aws_secret_access_key");
    const auto token = merged.find("aws_session_token");
    return std::optional<AwsCredentials>(AwsCredentials{
        .access_key_id = key->second,
        .secret_access_key = secret->second,
        .session_token = token == merged.end() ? "" : token->second,
        .expiration = std::nullopt,
        .provider = "profile:" + files.profile,
    });
  }

 private:
  EnvLookup env_;
};

class ImdsProvider final : public CredentialsProvider {
 public:
  explicit ImdsProvider(std::shared_ptr<ImdsClient> imds) : imds_(std::move(imds)) {}
  std::string_view name() const override { return "imds"; }

  FetchResult fetch() override {
    if (imds_ == nullptr) return std::optional<AwsCredentials>();
    Result<AwsCredentials> credentials = imds_->credentials();
    if (!credentials) return credentials.status();
    return std::optional<AwsCredentials>(std::move(credentials).value());
  }

 private:
  std::shared_ptr<ImdsClient> imds_;
};

class ProviderChain final : public CredentialsProvider {
 public:
  explicit ProviderChain(std::vector<std::unique_ptr<CredentialsProvider>> providers)
      : providers_(std::move(providers)) {}
  std::string_view name() const override { return "chain"; }

  FetchResult fetch() override {
    for (const std::unique_ptr<CredentialsProvider>& provider : providers_) {
      FetchResult result = provider->fetch();
      if (!result) return result.status().with_context(provider->name());
      if (*result) return result;
    }
    return std::optional<AwsCredentials>();
  }

 private:
  std::vector<std::unique_ptr<CredentialsProvider>> providers_;
};

}  // namespace

std::unique_ptr<CredentialsProvider> make_environment_provider(EnvLookup env) {
  return std::make_unique<EnvironmentProvider>(std::move(env));
}

std::unique_ptr<CredentialsProvider> make_profile_provider(EnvLookup env) {
  return std::make_unique<ProfileProvider>(std::move(env));
}

std::unique_ptr<CredentialsProvider> make_imds_provider(std::shared_ptr<ImdsClient> imds) {
  return std::make_unique<ImdsProvider>(std::move(imds));
}

std::unique_ptr<CredentialsProvider> make_provider_chain(std::vector<std::unique_ptr<CredentialsProvider>> providers) {
  return std::make_unique<ProviderChain>(std::move(providers));
}

std::unique_ptr<CredentialsProvider> make_default_chain(DefaultChainOptions options, const Clock& clock) {
  std::vector<std::unique_ptr<CredentialsProvider>> providers;
  providers.push_back(make_environment_provider(options.env));
  providers.push_back(make_web_identity_provider(options.env, std::move(options.region), options.http(), clock));
  providers.push_back(make_profile_provider(options.env));
  providers.push_back(make_container_provider(options.env, options.container_http()));
  providers.push_back(make_imds_provider(std::move(options.imds)));
  return make_provider_chain(std::move(providers));
}

}  // namespace mc
