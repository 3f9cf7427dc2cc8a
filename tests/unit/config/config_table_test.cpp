#include "config/config_table.hpp"

#include <map>
#include <set>

#include <gtest/gtest.h>

#include "config/config_builder.hpp"
#include "config_fields.hpp"

namespace mc {
namespace {

using testing::config_fields;

// A valid value other than the default for every row.
const std::map<std::string_view, std::string_view> kSampleValues{
    {"RAW_BUCKET", "my-bucket"},
    {"LOCAL_STORE_DIR", "/x/store"},
    {"SYMBOL", "ETHUSDT"},
    {"SHARD", "1/2"},
    {"LOCAL_DIR", "/x/spool"},
    {"ROT_BYTES", "4096"},
    {"ROT_SECS", "60"},
    {"ROT_SECS_OVERRIDES", "BTCUSDT:1,*:60"},
    {"INSTANCE_ID", "i-1"},
    {"BINANCE_WS_URL", "ws://127.0.0.1:9000"},
    {"BINANCE_REST_URL", "http://127.0.0.1:9001"},
    {"BINANCE_API_KEY", "key"},
    {"TLS_CA_FILE", "/ca.pem"},
    {"S3_ENDPOINT", "http://minio:9000"},
    {"S3_PREFIX", "p/"},
    {"S3_FORCE_PATH_STYLE", "yes"},
    {"AWS_REGION", "eu-west-1"},
    {"S3_SSE", "aws:kms"},
    {"S3_SSE_KMS_KEY_ID", "alias/collector"},
    {"SYMBOLS_REFRESH_SECS", "60"},
    {"GZIP_LEVEL", "9"},
    {"WS_IDLE_SECS", "5"},
    {"WS_MAX_AGE_SECS", "3600"},
    {"WS_STREAMS_PER_CONNECTION", "1024"},
    {"WS_MAX_MESSAGE_BYTES", "65536"},
    {"BACKFILL_ENABLED", "no"},
    {"BACKFILL_WEIGHT_PER_MIN", "500"},
    {"BACKFILL_ALARM_SECS", "120"},
    {"FSYNC_SECS", "0"},
    {"SPOOL_MAX_BYTES", "1048576"},
    {"STOP_TIMEOUT_SECS", "1"},
    {"METRICS_ADDR", ""},
    {"LOG_LEVEL", "debug"},
    {"LOG_FORMAT", "json"},
};

std::string lower(std::string_view text) {
  std::string out;
  for (char c : text) out += c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  return out;
}

TEST(ConfigTableTest, EveryRowSetsItsOwnFieldAndEveryFieldHasARow) {
  const std::vector<std::string> defaults = config_fields(ConfigBuilder().config());
  std::set<std::size_t> fields_set;
  for (const ConfigKey& key : config_table()) {
    const auto sample = kSampleValues.find(key.env);
    ASSERT_NE(sample, kSampleValues.end()) << "no sample value for " << key.env;
    Config config = ConfigBuilder().config();
    ASSERT_TRUE(key.apply(sample->second, config).is_ok()) << key.env;
    const std::vector<std::string> after = config_fields(config);
    std::vector<std::size_t> changed;
    for (std::size_t i = 0; i < after.size(); ++i) {
      if (after[i] != defaults[i]) changed.push_back(i);
    }
    ASSERT_EQ(changed.size(), 1u) << key.env << " must set exactly one field";
    EXPECT_TRUE(fields_set.insert(changed.front()).second) << key.env << " sets a field another row sets";
  }
  EXPECT_EQ(fields_set.size(), defaults.size());
  EXPECT_EQ(config_table().size(), kSampleValues.size());
}

TEST(ConfigTableTest, TableDefaultsEqualTheStructDefaults) {
  EXPECT_EQ(config_fields(ConfigBuilder().config()), config_fields(Config{}));
}

TEST(ConfigTableTest, NamesFollowOneConventionAndAreUnique) {
  std::set<std::string_view> envs;
  for (const ConfigKey& key : config_table()) {
    EXPECT_EQ(key.yaml, lower(key.env));
    std::string flag = "--" + lower(key.env);
    for (char& c : flag) c = c == '_' ? '-' : c;
    EXPECT_EQ(key.flag, flag);
    EXPECT_TRUE(envs.insert(key.env).second) << key.env;
    EXPECT_FALSE(key.help.empty()) << key.env;
    EXPECT_EQ(key.help.find_first_of("|\n"), std::string_view::npos) << key.env << ": breaks the Markdown table";
    // An empty default is shown by its meaning ("system store"), never as an empty cell.
    EXPECT_TRUE(!key.default_value.empty() || !key.default_note.empty()) << key.env;
    EXPECT_EQ(find_config_key_by_yaml(key.yaml), &key);
  }
  EXPECT_EQ(find_config_key_by_yaml("no_such_key"), nullptr);
}

TEST(ConfigTableTest, MarkdownTableHasOneLinePerKeyWithDesignDefaults) {
  const std::string table = config_markdown_table();
  EXPECT_EQ(table.rfind("| env var | flag | default | meaning |\n| --- | --- | --- | --- |\n", 0), 0u);
  EXPECT_NE(table.find("| `ROT_BYTES` | `--rot-bytes` | `2097152` | "), std::string::npos);
  EXPECT_NE(table.find("| `RAW_BUCKET` | `--raw-bucket` | empty | "), std::string::npos);
  EXPECT_NE(table.find("| `TLS_CA_FILE` | `--tls-ca-file` | system store | "), std::string::npos);
  EXPECT_NE(table.find("| `COLLECTOR_CONFIG` | `--config` | none | "), std::string::npos);
  std::size_t lines = 0;
  std::size_t start = 0;
  while (start < table.size()) {
    const std::size_t end = table.find('\n', start);
    ASSERT_NE(end, std::string::npos) << "the last line must end in a newline";
    const std::string_view line(table.data() + start, end - start);
    EXPECT_EQ(std::count(line.begin(), line.end(), '|'), 5) << line;
    ++lines;
    start = end + 1;
  }
  EXPECT_EQ(lines, config_table().size() + 3);  // header, separator, COLLECTOR_CONFIG
}

}  // namespace
}  // namespace mc
