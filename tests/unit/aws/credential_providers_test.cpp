#include "aws/credential_providers.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "aws/imds_client.hpp"
#include "scripted_http_client.hpp"
#include "support/fake_clock.hpp"
#include "support/temp_dir.hpp"

namespace mc {
namespace {

using testing::fake_env;
using testing::http_response;

void write(const std::filesystem::path& path, std::string_view text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

AwsCredentials fetched(CredentialsProvider& provider) {
  Result<std::optional<AwsCredentials>> result = provider.fetch();
  EXPECT_TRUE(result) << result.status().message();
  if (!result || !*result) {
    ADD_FAILURE() << "no credentials";
    return {};
  }
  return **result;
}

Status failure(CredentialsProvider& provider) {
  Result<std::optional<AwsCredentials>> result = provider.fetch();
  EXPECT_FALSE(result);
  return result ? Status::ok() : result.status();
}

bool not_configured(CredentialsProvider& provider) {
  Result<std::optional<AwsCredentials>> result = provider.fetch();
  EXPECT_TRUE(result) << result.status().message();
  return result && !result->has_value();
}

TEST(EnvironmentProviderTest, ReadsKeysAndSessionToken) {
  auto provider = make_environment_provider(fake_env(
      {{"AWS_ACCESS_KEY_ID", "AKIDENV"}, {"AWS_SECRET_ACCESS_KEY", "envsecret"}, {"AWS_SESSION_TOKEN", "envtoken"}}));
  const AwsCredentials credentials = fetched(*provider);
  EXPECT_EQ(credentials.access_key_id, "AKIDENV");
  EXPECT_EQ(credentials.secret_access_key, "envsecret");
  EXPECT_EQ(credentials.session_token, "envtoken");
  EXPECT_FALSE(credentials.expiration);
  EXPECT_EQ(credentials.provider, "environment");
}

TEST(EnvironmentProviderTest, UnsetAndEmptyMeanNotConfigured) {
  EXPECT_TRUE(not_configured(*make_environment_provider(fake_env({}))));
  EXPECT_TRUE(not_configured(
      *make_environment_provider(fake_env({{"AWS_ACCESS_KEY_ID", ""}, {"AWS_SECRET_ACCESS_KEY", ""}}))));
}

TEST(EnvironmentProviderTest, HalfAPairIsAnErrorNamingTheMissingVariable) {
  const Status no_secret = failure(*make_environment_provider(fake_env({{"AWS_ACCESS_KEY_ID", "AKID"}})));
  EXPECT_EQ(no_secret.kind(), ErrorKind::kFatal);
  EXPECT_EQ(no_secret.message(), "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
  const Status no_key = failure(*make_environment_provider(fake_env({{"AWS_SECRET_ACCESS_KEY", "s"}})));
  EXPECT_EQ(no_key.message(), "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not");
}

class ProfileProviderTest : public ::testing::Test {
 protected:
  std::filesystem::path credentials_file() const { return home_.path() / ".aws" / "credentials"; }
  std::filesystem::path config_file() const { return home_.path() / ".aws" / "config"; }
  EnvLookup env(std::map<std::string, std::string> extra = {}) const {
    extra.emplace("HOME", home_.path().string());
    return fake_env(std::move(extra));
  }

  testing::TempDir home_;
};

TEST_F(ProfileProviderTest, ReadsTheDefaultProfileFromTheCredentialsFile) {
  write(credentials_file(), "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = filesecret\n");
  const AwsCredentials credentials = fetched(*make_profile_provider(env()));
  EXPECT_EQ(credentials.access_key_id, "AKIDFILE");
  EXPECT_EQ(credentials.secret_access_key, "filesecret");
  EXPECT_EQ(credentials.session_token, "");
  EXPECT_EQ(credentials.provider, "profile:default");
}

TEST_F(ProfileProviderTest, NamedProfileFromTheConfigFileUsesTheProfilePrefix) {
  write(config_file(),
        "[default]\nregion = us-east-1\n"
        "[profile ci]\naws_access_key_id = AKIDCI\naws_secret_access_key = cisecret\naws_session_token = citoken\n"
        "[ci]\naws_access_key_id = WRONG\n");
  const AwsCredentials credentials = fetched(*make_profile_provider(env({{"AWS_PROFILE", "ci"}})));
  EXPECT_EQ(credentials.access_key_id, "AKIDCI");
  EXPECT_EQ(credentials.session_token, "citoken");
  EXPECT_EQ(credentials.provider, "profile:ci");
}

TEST_F(ProfileProviderTest, CredentialsFileWinsOverConfigFile) {
  write(credentials_file(), "[default]\naws_access_key_id = AKIDCREDS\naws_secret_access_key = credssecret\n");
  write(config_file(), "[default]\naws_access_key_id = AKIDCONFIG\naws_secret_access_key = configsecret\n");
  const AwsCredentials credentials = fetched(*make_profile_provider(env()));
  EXPECT_EQ(credentials.access_key_id, "AKIDCREDS");
  EXPECT_EQ(credentials.secret_access_key, "credssecret");
}

TEST_F(ProfileProviderTest, FileLocationsComeFromTheEnvironment) {
  const auto elsewhere = home_.path() / "elsewhere" / "creds.ini";
  write(elsewhere, "[default]\naws_access_key_id = AKIDELSEWHERE\naws_secret_access_key = s\n");
  write(credentials_file(), "[default]\naws_access_key_id = AKIDHOME\naws_secret_access_key = s\n");
  EXPECT_EQ(fetched(*make_profile_provider(env({{"AWS_SHARED_CREDENTIALS_FILE", elsewhere.string()}}))).access_key_id,
            "AKIDELSEWHERE");
  EXPECT_EQ(fetched(*make_profile_provider(env({{"AWS_SHARED_CREDENTIALS_FILE", "~/elsewhere/creds.ini"}})))
                .access_key_id,
            "AKIDELSEWHERE");
}

TEST_F(ProfileProviderTest, FilesAreReadAgainOnEveryFetch) {
  auto provider = make_profile_provider(env());
  write(credentials_file(), "[default]\naws_access_key_id = AKIDFIRST\naws_secret_access_key = s\n");
  EXPECT_EQ(fetched(*provider).access_key_id, "AKIDFIRST");
  write(credentials_file(), "[default]\naws_access_key_id = AKIDSECOND\naws_secret_access_key = s\n");
  EXPECT_EQ(fetched(*provider).access_key_id, "AKIDSECOND");
}

TEST_F(ProfileProviderTest, MissingFilesOrAProfileWithoutKeysAreNotConfigured) {
  EXPECT_TRUE(not_configured(*make_profile_provider(env())));
  EXPECT_TRUE(not_configured(*make_profile_provider(fake_env({}))));  // no HOME at all
  write(config_file(), "[default]\nregion = eu-central-1\n");
  EXPECT_TRUE(not_configured(*make_profile_provider(env())));
}

TEST_F(ProfileProviderTest, ExplicitProfileThatDoesNotExistIsFatal) {
  write(credentials_file(), "[default]\naws_access_key_id = AKID\naws_secret_access_key = s\n");
  const Status status = failure(*make_profile_provider(env({{"AWS_PROFILE", "prod"}})));
  EXPECT_EQ(status.kind(), ErrorKind::kFatal);
  EXPECT_NE(status.message().find("profile \"prod\""), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("does not exist"), std::string::npos) << status.message();
}

TEST_F(ProfileProviderTest, MissingSecretIsFatalNamingProfileAndKey) {
  write(credentials_file(), "[default]\naws_access_key_id = AKID\n");
  const Status status = failure(*make_profile_provider(env()));
  EXPECT_EQ(status.kind(), ErrorKind::kFatal);
  EXPECT_NE(status.message().find("profile \"default\""), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("lacks aws_secret_access_key"), std::string::npos) << status.message();
}

TEST_F(ProfileProviderTest, UnsupportedCredentialSourcesAreFatalNamingTheKey) {
  for (const char* key : {"role_arn", "source_profile", "credential_process", "sso_session", "sso_start_url",
                          "credential_source", "web_identity_token_file"}) {
    write(config_file(), std::string("[profile dev]\nregion = us-east-1\n") + key + " = something\n");
    const Status status = failure(*make_profile_provider(env({{"AWS_PROFILE", "dev"}})));
    EXPECT_EQ(status.kind(), ErrorKind::kFatal);
    EXPECT_NE(status.message().find("profile \"dev\""), std::string::npos) << status.message();
    EXPECT_NE(status.message().find(std::string("\"") + key + "\" is not supported"), std::string::npos)
        << status.message();
  }
}

TEST_F(ProfileProviderTest, MalformedFileIsFatalWithFileAndLine) {
  write(credentials_file(), "[default]\naws_access_key_id = AKID\nno equals here\n");
  const Status status = failure(*make_profile_provider(env()));
  EXPECT_EQ(status.kind(), ErrorKind::kFatal);
  EXPECT_EQ(status.message(), credentials_file().string() + ":3: expected 'key = value'");
}

// The whole default chain, each provider configured or not through the fake environment and files.
class DefaultChainTest : public ProfileProviderTest {
 protected:
  std::unique_ptr<CredentialsProvider> chain(std::map<std::string, std::string> variables, bool imds_enabled = true) {
    DefaultChainOptions options{
        .env = env(std::move(variables)),
        .region = "eu-west-1",
        .http = [this] { return http_->client(); },
        .container_http = [this] { return http_->client(); },
        .imds = imds_enabled ? std::make_shared<ImdsClient>(imds_http_->client(), clock_, ImdsOptions{}) : nullptr,
    };
    return make_default_chain(std::move(options), clock_);
  }

  void script_imds_credentials() {
    imds_http_->expect("PUT", "http://169.254.169.254/latest/api/token", http_response(200, "tok"));
    imds_http_->expect("GET", "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
                       http_response(200, "role"));
    imds_http_->expect("GET", "http://169.254.169.254/latest/meta-data/iam/security-credentials/role",
                       http_response(200, R"({"Code":"Success","AccessKeyId":"ASIAIMDS","SecretAccessKey":"s",)"
                                          R"("Token":"t","Expiration":"2026-11-25T06:00:00Z"})"));
  }

  void write_profile() {
    write(credentials_file(), "[default]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = s\n");
  }

  testing::FakeClock clock_;
  std::shared_ptr<testing::HttpScript> http_ = std::make_shared<testing::HttpScript>();
  std::shared_ptr<testing::HttpScript> imds_http_ = std::make_shared<testing::HttpScript>();
};

TEST_F(DefaultChainTest, EnvironmentBeatsProfileAndImds) {
  write_profile();
  auto provider = chain({{"AWS_ACCESS_KEY_ID", "AKIDENV"}, {"AWS_SECRET_ACCESS_KEY", "s"}});
  EXPECT_EQ(fetched(*provider).provider, "environment");
  EXPECT_TRUE(http_->requests().empty());
  EXPECT_TRUE(imds_http_->requests().empty());
}

TEST_F(DefaultChainTest, ProfileBeatsContainerAndImds) {
  write_profile();
  auto provider = chain({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/x"}});
  EXPECT_EQ(fetched(*provider).access_key_id, "AKIDPROFILE");
  EXPECT_TRUE(http_->requests().empty());
  EXPECT_TRUE(imds_http_->requests().empty());
}

TEST_F(DefaultChainTest, WebIdentityBeatsProfile) {
  write_profile();
  write(home_.path() / "token", "jwt");
  http_->expect("POST", "https://sts.eu-west-1.amazonaws.com/",
                http_response(200, "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>"
                                   "<AccessKeyId>ASIASTS</AccessKeyId><SecretAccessKey>s</SecretAccessKey>"
                                   "<SessionToken>t</SessionToken><Expiration>2026-11-25T06:00:00Z</Expiration>"
                                   "</Credentials></AssumeRoleWithWebIdentityResult>"
                                   "</AssumeRoleWithWebIdentityResponse>"));
  auto provider = chain({{"AWS_WEB_IDENTITY_TOKEN_FILE", (home_.path() / "token").string()},
                         {"AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/collector"}});
  EXPECT_EQ(fetched(*provider).access_key_id, "ASIASTS");
}

TEST_F(DefaultChainTest, ContainerBeatsImds) {
  http_->expect("GET", "http://169.254.170.2/v2/credentials/x",
                http_response(200, R"({"AccessKeyId":"ASIAECS","SecretAccessKey":"s","Token":"t",)"
                                   R"("Expiration":"2026-11-25T06:00:00Z"})"));
  auto provider = chain({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/x"}});
  EXPECT_EQ(fetched(*provider).provider, "container");
  EXPECT_TRUE(imds_http_->requests().empty());
}

TEST_F(DefaultChainTest, ImdsAnswersWhenNothingElseIsConfigured) {
  script_imds_credentials();
  auto provider = chain({});
  EXPECT_EQ(fetched(*provider).access_key_id, "ASIAIMDS");
  EXPECT_EQ(imds_http_->remaining(), 0u);
}

TEST_F(DefaultChainTest, IncompleteEnvironmentStopsTheChain) {
  write_profile();
  auto provider = chain({{"AWS_ACCESS_KEY_ID", "AKIDENV"}});
  const Status status = failure(*provider);
  EXPECT_EQ(status.kind(), ErrorKind::kFatal);
  EXPECT_EQ(status.message(), "environment: AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
}

TEST_F(DefaultChainTest, NothingConfiguredAndImdsDisabledIsNotConfigured) {
  EXPECT_TRUE(not_configured(*chain({}, /*imds_enabled=*/false)));
}

}  // namespace
}  // namespace mc
