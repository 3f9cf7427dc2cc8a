#include "config/unknown_env.hpp"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config_table.hpp"

namespace mc {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

MATCHER_P2(Warns, name, key, "") { return arg.name == name && arg.likely_key == key; }

std::vector<UnknownVariable> unknown(std::vector<std::string> names) { return find_unknown_variables(names); }

TEST(EditDistanceTest, CountsInsertionsDeletionsSubstitutionsAndAdjacentSwapsAsOne) {
  EXPECT_EQ(edit_distance("RAW_BUCKET", "RAW_BUCKET"), 0U);
  EXPECT_EQ(edit_distance("RAW_BUCKT", "RAW_BUCKET"), 1U);    // deletion
  EXPECT_EQ(edit_distance("RAW_BUCKETS", "RAW_BUCKET"), 1U);  // insertion
  EXPECT_EQ(edit_distance("RAW_BACKET", "RAW_BUCKET"), 1U);   // substitution
  EXPECT_EQ(edit_distance("RAW_BUKCET", "RAW_BUCKET"), 1U);   // transposition
  EXPECT_EQ(edit_distance("RAW_BKCUET", "RAW_BUCKET"), 2U);
  EXPECT_EQ(edit_distance("", "ROT"), 3U);
  EXPECT_EQ(edit_distance("CA", "ABC"), 3U);  // restricted: no edit of a swapped pair
}

TEST(UnknownVariablesTest, OneEditAwayFromAKeyNamesTheKey) {
  EXPECT_THAT(unknown({"RAW_BUCKT"}), ElementsAre(Warns("RAW_BUCKT", "RAW_BUCKET")));
  EXPECT_THAT(unknown({"SYMBOLS"}), ElementsAre(Warns("SYMBOLS", "SYMBOL")));
  EXPECT_THAT(unknown({"INSTANCEID"}), ElementsAre(Warns("INSTANCEID", "INSTANCE_ID")));
  EXPECT_THAT(unknown({"COLLECTOR_CONFIGS"}), ElementsAre(Warns("COLLECTOR_CONFIGS", "COLLECTOR_CONFIG")));
}

TEST(UnknownVariablesTest, ComparesUpperCasedSinceTheEnvironmentIsCaseSensitive) {
  EXPECT_THAT(unknown({"raw_bucket"}), ElementsAre(Warns("raw_bucket", "RAW_BUCKET")));
  EXPECT_THAT(unknown({"Rot_Secs"}), ElementsAre(Warns("Rot_Secs", "ROT_SECS")));
}

TEST(UnknownVariablesTest, AnOwnedPrefixWarnsAtAnyDistanceWithTheNearestKey) {
  EXPECT_THAT(unknown({"S3_BUCKET"}), ElementsAre(Warns("S3_BUCKET", "RAW_BUCKET")));
  EXPECT_THAT(unknown({"WS_IDLE_SECONDS"}), ElementsAre(Warns("WS_IDLE_SECONDS", "WS_IDLE_SECS")));
  EXPECT_THAT(unknown({"BACKFILL_OFF"}).size(), 1U);
  EXPECT_THAT(unknown({"BINANCE_SECRET"}).size(), 1U);
  EXPECT_THAT(unknown({"ROT_MINUTES"}).size(), 1U);
}

TEST(UnknownVariablesTest, EveryKeyOfTheTableIsKnown) {
  std::vector<std::string> keys{std::string(kConfigFileEnv)};
  for (const ConfigKey& key : config_table()) keys.emplace_back(key.env);
  EXPECT_THAT(unknown(keys), IsEmpty());
}

TEST(UnknownVariablesTest, CommonVariablesAndTheAwsChainsAreLeftAlone) {
  EXPECT_THAT(unknown({// the shell, systemd, containers, TLS, proxies
                       "PATH", "HOME", "USER", "SHELL", "LANG", "LC_ALL", "TERM", "PWD", "HOSTNAME", "TZ",
                       "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "INVOCATION_ID", "JOURNAL_STREAM",
                       "STATE_DIRECTORY", "LOGS_DIRECTORY", "CREDENTIALS_DIRECTORY", "SSL_CERT_FILE",
                       "SSL_CERT_DIR", "http_proxy", "HTTPS_PROXY", "no_proxy", "KUBERNETES_SERVICE_HOST",
                       "ECS_CONTAINER_METADATA_URI_V4", "AWS_EXECUTION_ENV", "AWS_DEFAULT_REGION",
                       // every variable the AWS credential and region code reads (src/aws)
                       "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                       "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_WEB_IDENTITY_TOKEN_FILE",
                       "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME", "AWS_ENDPOINT_URL_STS",
                       "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                       "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
                       "AWS_EC2_METADATA_DISABLED", "AWS_EC2_METADATA_SERVICE_ENDPOINT"}),
              IsEmpty());
}

TEST(UnknownVariablesTest, APrefixOnlyOneKeyUsesIsNotOwned) {
  // AWS_REGION, TLS_CA_FILE and METRICS_ADDR are alone under their prefixes; other software uses them.
  EXPECT_THAT(unknown({"AWS_PAGER", "TLS_CERT", "METRICS_PORT", "SPOOL_DIR", "RAW_DATA"}), IsEmpty());
}

}  // namespace
}  // namespace mc
