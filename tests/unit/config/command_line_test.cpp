#include "config/command_line.hpp"

#include <unistd.h>

#include <climits>
#include <filesystem>
#include <fstream>
#include <map>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/build_info.hpp"
#include "config/config_error.hpp"
#include "config/config_table.hpp"
#include "config/value_parsers.hpp"
#include "support/invocation_parser.hpp"
#include "support/temp_dir.hpp"
#include "test_ca_pem.hpp"

namespace mc {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class CommandLineTest : public ::testing::Test {
 protected:
  Invocation parse(const std::vector<std::string>& args) const { return line_.parse(args); }

  // The message of the ConfigError parse throws; a test failure when it throws none.
  std::string error_of(const std::vector<std::string>& args) const {
    std::string message = line_.error_of(args);
    EXPECT_EQ(message.find('\n'), std::string::npos) << "not one line: " << message;
    return message;
  }

  std::string write_file(const std::string& name, std::string_view text) const {
    const std::filesystem::path path = dir_.path() / name;
    std::ofstream(path) << text;
    return path.string();
  }

  testing::InvocationParser line_;
  const testing::TempDir& dir_ = line_.dir();
  std::map<std::string, std::string>& env_ = line_.env;
};

TEST_F(CommandLineTest, NoArgumentsRunWithTheDefaults) {
  env_.erase("LOCAL_DIR");
  env_.erase("LOCAL_STORE_DIR");
  const std::filesystem::path cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir_.path());  // the default directories are relative
  const Invocation invocation = parse({});
  std::filesystem::current_path(cwd);
  EXPECT_EQ(invocation.command, Invocation::Command::kRun);
  EXPECT_EQ(invocation.config.rot_bytes, 2097152u);
  EXPECT_EQ(invocation.config.local_dir, "./data/spool");
  EXPECT_TRUE(std::filesystem::is_directory(dir_.path() / "data/spool"));
  EXPECT_TRUE(std::filesystem::is_directory(dir_.path() / "data/store"));
}

TEST_F(CommandLineTest, ExplicitRunSubcommandIsTheSameAsNone) {
  EXPECT_EQ(parse({"run", "--gzip-level", "3"}).config.gzip_level, 3);
  EXPECT_EQ(parse({"--gzip-level=4"}).config.gzip_level, 4);
}

TEST_F(CommandLineTest, FlagsBeatEnvironmentBeatsFileBeatsDefaults) {
  const std::string file = write_file("c.yaml", "rot_bytes: 4096\ngzip_level: 2\nrot_secs: 10\n");
  env_["ROT_BYTES"] = "8192";
  env_["GZIP_LEVEL"] = "3";
  const Config config = parse({"--config", file, "--rot-bytes", "16384"}).config;
  EXPECT_EQ(config.rot_bytes, 16384u);  // flag over environment and file
  EXPECT_EQ(config.gzip_level, 3);       // environment over file
  EXPECT_EQ(config.rot_secs, 10u);       // file over default
  EXPECT_EQ(config.fsync_secs, 1u);      // default
}

TEST_F(CommandLineTest, ConfigFileFromEnvironmentOrFlagWithTheFlagWinning) {
  env_["COLLECTOR_CONFIG"] = write_file("env.yaml", "gzip_level: 2\n");
  const std::string flag_file = write_file("flag.yaml", "gzip_level: 8\n");
  EXPECT_EQ(parse({}).config.gzip_level, 2);
  EXPECT_EQ(parse({"--config", flag_file}).config.gzip_level, 8);
  env_["COLLECTOR_CONFIG"] = "";
  EXPECT_THAT(error_of({}), HasSubstr("COLLECTOR_CONFIG=\"\""));
}

TEST_F(CommandLineTest, NoImplicitConfigFile) {
  const std::filesystem::path cwd = std::filesystem::current_path();
  write_file("collector.yaml", "gzip_level: 2\n");
  std::filesystem::create_directories(dir_.path() / "configs");
  write_file("configs/collector.yaml", "gzip_level: 2\n");
  std::filesystem::current_path(dir_.path());
  const Invocation invocation = parse({});
  std::filesystem::current_path(cwd);
  EXPECT_EQ(invocation.config.gzip_level, 6);
}

TEST_F(CommandLineTest, HelpListsEveryFlagEnvVarAndDefaultEvenWithBadEnvironment) {
  env_["ROT_BYTES"] = "abc";
  const Invocation invocation = parse({"--help"});
  EXPECT_EQ(invocation.command, Invocation::Command::kHelp);
  for (const ConfigKey& key : config_table()) {
    EXPECT_THAT(invocation.text, HasSubstr(std::string(key.flag) + " ")) << key.env;
    EXPECT_THAT(invocation.text, HasSubstr("env " + std::string(key.env) + ",")) << key.env;
  }
  EXPECT_THAT(invocation.text, HasSubstr("default: 2097152"));
  EXPECT_THAT(invocation.text, HasSubstr("COLLECTOR_CONFIG"));
  EXPECT_THAT(invocation.text, Not(HasSubstr("config-table")));  // hidden
  EXPECT_EQ(parse({"run", "-h"}).text, invocation.text);
}

TEST_F(CommandLineTest, VersionPrintsTheVersionCommitAndBuildType) {
  const Invocation invocation = parse({"--version"});
  EXPECT_EQ(invocation.command, Invocation::Command::kHelp);
  const BuildInfo build = build_info();
  EXPECT_EQ(build.version, MC_VERSION);
  EXPECT_EQ(invocation.text, fmt::format("market-collector {} (commit {}, {})\n", MC_VERSION, build.commit,
                                         build.build_type));
  // A short hash (with -dirty when the tree had changes), or "unknown" outside git.
  EXPECT_THAT(std::string(build.commit), ::testing::MatchesRegex("[0-9a-f]{7,}(-dirty)?|unknown"));
}

TEST_F(CommandLineTest, ConfigTableSubcommandPrintsTheMarkdownTable) {
  const Invocation invocation = parse({"config-table"});
  EXPECT_EQ(invocation.command, Invocation::Command::kConfigTable);
  EXPECT_EQ(invocation.text, config_markdown_table());
  EXPECT_THAT(error_of({"config-table", "--rot-bytes", "5"}), HasSubstr("config-table takes no arguments"));
}

TEST_F(CommandLineTest, UnknownFlagsCommandsAndArgumentsAreErrors) {
  EXPECT_THAT(error_of({"--rot-byte", "4096"}), HasSubstr("--rot-byte"));
  EXPECT_THAT(error_of({"frobnicate"}), HasSubstr("unknown command \"frobnicate\""));
  EXPECT_THAT(error_of({"run", "extra"}), HasSubstr("extra"));
  EXPECT_THAT(error_of({"--rot-bytes"}), HasSubstr("--rot-bytes"));
  EXPECT_THAT(error_of({"--gzip-level", "2", "--gzip-level", "3"}), HasSubstr("--gzip-level"));
}

TEST_F(CommandLineTest, EmptyInstanceIdBecomesTheHostName) {
  char host[HOST_NAME_MAX + 1] = {};
  ASSERT_EQ(::gethostname(host, sizeof host), 0);
  EXPECT_EQ(parse({}).config.instance_id, instance_id_from_host_name(host));
  env_["INSTANCE_ID"] = "";
  EXPECT_EQ(parse({}).config.instance_id, instance_id_from_host_name(host));
  EXPECT_EQ(parse({"--instance-id", "collector-1"}).config.instance_id, "collector-1");
}

TEST_F(CommandLineTest, SymbolsAreTrimmedAndUpperCased) {
  env_["SYMBOL"] = "btcusdt, ethusdt";
  EXPECT_EQ(parse({}).config.symbols, (std::vector<std::string>{"BTCUSDT", "ETHUSDT"}));
}

TEST_F(CommandLineTest, EmptyValuesAreValuesNotAbsence) {
  env_["METRICS_ADDR"] = "";
  EXPECT_EQ(parse({}).config.metrics_addr, "");
  EXPECT_EQ(parse({"--s3-prefix="}).config.s3_prefix, "");
  EXPECT_EQ(parse({"--s3-prefix", ""}).config.s3_prefix, "");
  const Config config = parse({"--s3-prefix=", "--gzip-level", "2"}).config;  // the flag is no value
  EXPECT_EQ(config.s3_prefix, "");
  EXPECT_EQ(config.gzip_level, 2);
  env_["ROT_BYTES"] = "";
  EXPECT_THAT(error_of({}), HasSubstr("ROT_BYTES=\"\""));
}

TEST_F(CommandLineTest, StreamsPerConnectionAcceptsOneTo1024) {
  EXPECT_EQ(parse({}).config.ws_streams_per_connection, 200u);
  env_["WS_STREAMS_PER_CONNECTION"] = "1";
  EXPECT_EQ(parse({}).config.ws_streams_per_connection, 1u);
  EXPECT_EQ(parse({"--ws-streams-per-connection", "1024"}).config.ws_streams_per_connection, 1024u);
  env_["WS_STREAMS_PER_CONNECTION"] = "1025";
  EXPECT_THAT(error_of({}), HasSubstr("WS_STREAMS_PER_CONNECTION=\"1025\": expected an integer from 1 to 1024"));
  EXPECT_THAT(error_of({"--ws-streams-per-connection=0"}),
              HasSubstr("WS_STREAMS_PER_CONNECTION=\"1025\": expected an integer from 1 to 1024"));
  env_.erase("WS_STREAMS_PER_CONNECTION");
  EXPECT_THAT(error_of({"--ws-streams-per-connection=0"}),
              HasSubstr("--ws-streams-per-connection=\"0\": expected an integer from 1 to 1024"));
}

TEST_F(CommandLineTest, RotSecsOverridesFromEverySource) {
  env_["SYMBOL"] = "BTCUSDT,ETHUSDT,BNBBTC";
  env_["ROT_SECS_OVERRIDES"] = "BTCUSDT:1,*:60";
  const Config from_env = parse({}).config;
  EXPECT_EQ(from_env.rot_secs_overrides.secs_by_symbol(from_env.symbols, from_env.rot_secs),
            (SymbolWindows{{"BTCUSDT", 1}, {"ETHUSDT", 60}, {"BNBBTC", 60}}));
  EXPECT_EQ(from_env.rot_secs, 5u);  // kept for the quarantine parts
  const Config from_flag = parse({"--rot-secs-overrides", "ethusdt:10"}).config;
  EXPECT_EQ(from_flag.rot_secs_overrides.secs_by_symbol(from_flag.symbols, from_flag.rot_secs),
            (SymbolWindows{{"BTCUSDT", 5}, {"ETHUSDT", 10}, {"BNBBTC", 5}}));
  env_.erase("ROT_SECS_OVERRIDES");
  const Config from_file =
      parse({"--config", write_file("c.yaml", "rot_secs_overrides: \"BNBBTC:300,*:60\"\n")}).config;
  EXPECT_EQ(from_file.rot_secs_overrides.secs_by_symbol(from_file.symbols, from_file.rot_secs),
            (SymbolWindows{{"BTCUSDT", 60}, {"ETHUSDT", 60}, {"BNBBTC", 300}}));
}

TEST_F(CommandLineTest, RotSecsOverridesErrorsNameTheKeyAndTheEntry) {
  env_["SYMBOL"] = "BTCUSDT,ETHUSDT";
  EXPECT_THAT(error_of({"--rot-secs-overrides", "BTCUSDT:5,ETHUSDT:7"}),
              HasSubstr("--rot-secs-overrides=\"BTCUSDT:5,ETHUSDT:7\": entry \"ETHUSDT:7\": expected an integer from 1 "
                        "to 86400 that divides 86400"));
  env_["ROT_SECS_OVERRIDES"] = "BTCUSDT:5,DOGEUSDT:60";
  EXPECT_THAT(error_of({}), HasSubstr("ROT_SECS_OVERRIDES=\"BTCUSDT:5,DOGEUSDT:60\": entry \"DOGEUSDT:60\": "
                                      "DOGEUSDT is not one of the 2 symbols in SYMBOL"));
  // Checked against the final SYMBOL, whichever source set it.
  EXPECT_EQ(parse({"--symbol", "dogeusdt,btcusdt"}).config.rot_secs_overrides.secs_for("DOGEUSDT", 5), 60u);
  env_["ROT_SECS_OVERRIDES"] = "BTCUSDT:5,btcusdt:60";
  EXPECT_THAT(error_of({}), HasSubstr("ROT_SECS_OVERRIDES=\"BTCUSDT:5,btcusdt:60\": entry \"btcusdt:60\": BTCUSDT appears twice"));
}

// BTCUSDT goes to shard 1 of 2, ETHUSDT to shard 0 (ShardTest pins the weights); both to shard 2 of 3.
TEST_F(CommandLineTest, ShardKeepsItsSymbolsInSymbolOrder) {
  env_["SYMBOL"] = "BTCUSDT,ETHUSDT";
  EXPECT_EQ(parse({}).config.symbols, (std::vector<std::string>{"BTCUSDT", "ETHUSDT"}));
  const Config first = parse({"--shard", "0/2"}).config;
  EXPECT_EQ(first.symbols, (std::vector<std::string>{"ETHUSDT"}));
  EXPECT_EQ(first.symbols_listed, 2u);
  env_["SHARD"] = "1/2";
  EXPECT_EQ(parse({}).config.symbols, (std::vector<std::string>{"BTCUSDT"}));
  EXPECT_EQ(parse({"--shard", "2/3"}).config.symbols, (std::vector<std::string>{"BTCUSDT", "ETHUSDT"}));
  // ROT_SECS_OVERRIDES is checked against SYMBOL, not the shard: one setting serves the whole fleet.
  env_["ROT_SECS_OVERRIDES"] = "ETHUSDT:60";
  EXPECT_EQ(parse({}).config.symbols, (std::vector<std::string>{"BTCUSDT"}));
}

// SYMBOL=ALL: the list comes from the exchange at start, so parsing keeps none and SHARD waits for it;
// ROT_SECS_OVERRIDES may name symbols that are not listed yet.
TEST_F(CommandLineTest, SymbolAllLeavesTheListToTheExchange) {
  env_["SYMBOL"] = "all";
  env_["SHARD"] = "1/4";
  env_["ROT_SECS_OVERRIDES"] = "NOTYETUSDT:60,*:60";
  const Config config = parse({"--symbols-refresh-secs", "5"}).config;
  EXPECT_TRUE(config.all_symbols);
  EXPECT_TRUE(config.symbols.empty());
  EXPECT_EQ(config.shard.index, 1u);
  EXPECT_EQ(config.symbols_refresh_secs, 5u);
  env_.erase("ROT_SECS_OVERRIDES");
  env_.erase("SHARD");
  EXPECT_EQ(parse({"--symbol", "BTCUSDT"}).config.all_symbols, false);
  EXPECT_EQ(parse({}).config.symbols_refresh_secs, 300u);
  EXPECT_THAT(error_of({"--symbol", "BTCUSDT,ALL"}),
              HasSubstr("--symbol=\"BTCUSDT,ALL\": ALL stands for every symbol and cannot be combined with others"));
  EXPECT_THAT(error_of({"--symbols-refresh-secs", "1"}),
              HasSubstr("--symbols-refresh-secs=\"1\": expected an integer from 5 to 86400"));
}

TEST_F(CommandLineTest, AShardWithoutSymbolsOrOutOfRangeIsAnError) {
  env_["SYMBOL"] = "BTCUSDT,ETHUSDT";
  EXPECT_THAT(error_of({"--shard", "0/3"}),
              HasSubstr("--shard=\"0/3\": shard 0 of 3 gets none of the 2 symbols in SYMBOL"));
  env_["SHARD"] = "3/3";
  EXPECT_THAT(error_of({}), HasSubstr("SHARD=\"3/3\": expected i/n with n from 1 to 256"));
}

TEST_F(CommandLineTest, ValuesOverriddenLaterAreStillValidated) {
  env_["GZIP_LEVEL"] = "99";
  EXPECT_THAT(error_of({"--gzip-level", "5"}), HasSubstr("GZIP_LEVEL=\"99\""));
}

TEST_F(CommandLineTest, MessagesStayOnOneLineWhateverTheValue) {
  env_["ROT_BYTES"] = "12\n\"34\"\\";
  EXPECT_THAT(error_of({}), HasSubstr(R"(ROT_BYTES="12\x0a\"34\"\\": expected an integer)"));
}

TEST_F(CommandLineTest, LocalDirMustBeCreatableAndWritable) {
  const std::string blocker = write_file("plain-file", "x");
  env_["LOCAL_DIR"] = blocker + "/spool";
  EXPECT_THAT(error_of({}), HasSubstr("LOCAL_DIR=\"" + blocker + "/spool\": "));
  EXPECT_THAT(error_of({"--local-dir", blocker}), HasSubstr("--local-dir=\"" + blocker + "\": "));
}

TEST_F(CommandLineTest, LocalStoreDirIsCheckedOnlyWithoutABucket) {
  const std::string blocker = write_file("plain-file", "x");
  env_["LOCAL_STORE_DIR"] = blocker + "/store";
  EXPECT_THAT(error_of({}), HasSubstr("LOCAL_STORE_DIR=\"" + blocker + "/store\": "));
  env_["RAW_BUCKET"] = "my-bucket";
  EXPECT_EQ(parse({}).config.raw_bucket, "my-bucket");
}

TEST_F(CommandLineTest, TlsCaFileMustHoldAPemCertificate) {
  const std::string good = write_file("ca.pem", kTestCaPem);
  const std::string junk = write_file("junk.pem", "hello\n");
  const std::string missing = (dir_.path() / "missing.pem").string();
  EXPECT_EQ(parse({"--tls-ca-file", good}).config.tls_ca_file, good);
  env_["TLS_CA_FILE"] = junk;
  EXPECT_THAT(error_of({}), HasSubstr("TLS_CA_FILE=\"" + junk + "\": no PEM certificate"));
  env_["TLS_CA_FILE"] = missing;
  EXPECT_THAT(error_of({}), HasSubstr("TLS_CA_FILE=\"" + missing + "\": "));
}

TEST_F(CommandLineTest, SecretsNeverAppearInMessages) {
  env_["BINANCE_API_KEY"] = "s3cr3t with space";
  const std::string message = error_of({});
  EXPECT_THAT(message, HasSubstr("BINANCE_API_KEY=<redacted>"));
  EXPECT_THAT(message, Not(HasSubstr("s3cr3t")));
}

// --- YAML file ---

TEST_F(CommandLineTest, YamlUnknownKeyNamesFileLineAndKey) {
  const std::string file = write_file("c.yaml", "rot_bytes: 4096\nrot_byte: 4096\n");
  EXPECT_THAT(error_of({"--config", file}), HasSubstr(file + ":2: unknown key \"rot_byte\""));
}

TEST_F(CommandLineTest, YamlSyntaxErrorNamesTheFile) {
  const std::string file = write_file("c.yaml", "rot_bytes: [1, 2\n");
  EXPECT_THAT(error_of({"--config", file}), HasSubstr(file + ":"));
  EXPECT_THAT(error_of({"--config", file}), HasSubstr("not valid YAML"));
}

TEST_F(CommandLineTest, YamlWrongTypeNamesFileAndKey) {
  EXPECT_THAT(error_of({"--config", write_file("a.yaml", "rot_bytes: [1, 2]\n")}),
              HasSubstr("a.yaml:1: rot_bytes: expected a single value, got a list"));
  EXPECT_THAT(error_of({"--config", write_file("b.yaml", "gzip_level:\n  a: 1\n")}),
              HasSubstr("b.yaml:1: gzip_level: expected a single value, got a mapping"));
  EXPECT_THAT(error_of({"--config", write_file("c.yaml", "- rot_bytes\n")}),
              HasSubstr("c.yaml: expected a mapping"));
  EXPECT_THAT(error_of({"--config", write_file("d.yaml", "symbol: [[BTCUSDT]]\n")}),
              HasSubstr("d.yaml:1: symbol: expected a list of symbols"));
}

TEST_F(CommandLineTest, YamlBadValueNamesFileKeyAndValue) {
  const std::string file = write_file("c.yaml", "gzip_level: 6\nrot_bytes: abc\n");
  EXPECT_THAT(error_of({"--config", file}),
              HasSubstr(file + ":2: rot_bytes=\"abc\": expected an integer from 1024 to 1073741824"));
}

TEST_F(CommandLineTest, YamlRepeatedKeyIsAnError) {
  const std::string file = write_file("c.yaml", "gzip_level: 6\ngzip_level: 7\n");
  EXPECT_THAT(error_of({"--config", file}), HasSubstr("\"gzip_level\" appears twice"));
}

TEST_F(CommandLineTest, YamlMissingFileIsAnError) {
  const std::string missing = (dir_.path() / "nope.yaml").string();
  EXPECT_THAT(error_of({"--config", missing}), HasSubstr(missing + ": cannot read"));
}

TEST_F(CommandLineTest, YamlListsNullsAndEmptyFiles) {
  const Config config =
      parse({"--config", write_file("c.yaml", "symbol: [btcusdt, ETHUSDT]\nraw_bucket:\ns3_force_path_style: yes\n")})
          .config;
  EXPECT_EQ(config.symbols, (std::vector<std::string>{"BTCUSDT", "ETHUSDT"}));
  EXPECT_EQ(config.raw_bucket, "");
  EXPECT_TRUE(config.s3_force_path_style);
  EXPECT_EQ(parse({"--config", write_file("empty.yaml", "# nothing set\n")}).config.rot_bytes, 2097152u);
}

// --- every bad value, from each source ---

struct BadValue {
  const char* env;
  const char* value;
};

class BadValueTest : public CommandLineTest, public ::testing::WithParamInterface<BadValue> {};

const ConfigKey& key_of(std::string_view env) {
  for (const ConfigKey& key : config_table()) {
    if (key.env == env) return key;
  }
  throw std::logic_error("no such key");
}

TEST_P(BadValueTest, RefusedFromEnvironmentFlagAndFileNamingKeyAndValue) {
  const BadValue bad = GetParam();
  const ConfigKey& key = key_of(bad.env);
  const std::string value = bad.value;

  env_[bad.env] = value;
  EXPECT_THAT(error_of({}), HasSubstr(std::string(bad.env) + "=\"" + value + "\": "));
  env_.erase(bad.env);

  EXPECT_THAT(error_of({std::string(key.flag) + "=" + value}),
              HasSubstr(std::string(key.flag) + "=\"" + value + "\": "));

  const std::string file = write_file("bad.yaml", std::string(key.yaml) + ": \"" + value + "\"\n");
  EXPECT_THAT(error_of({"--config", file}), HasSubstr(file + ":1: " + std::string(key.yaml) + "=\"" + value + "\": "));
}

INSTANTIATE_TEST_SUITE_P(
    AllKeys, BadValueTest,
    ::testing::Values(
        BadValue{"ROT_BYTES", "abc"}, BadValue{"ROT_BYTES", "-1"}, BadValue{"ROT_BYTES", "+4096"},
        BadValue{"ROT_BYTES", "4096x"}, BadValue{"ROT_BYTES", " 4096"}, BadValue{"ROT_BYTES", ""},
        BadValue{"ROT_BYTES", "18446744073709551616"}, BadValue{"ROT_BYTES", "1023"},
        BadValue{"ROT_BYTES", "1073741825"}, BadValue{"ROT_SECS", "0"}, BadValue{"ROT_SECS", "7"},
        BadValue{"ROT_SECS", "86401"}, BadValue{"ROT_SECS", "5s"}, BadValue{"GZIP_LEVEL", "0"},
        BadValue{"GZIP_LEVEL", "10"}, BadValue{"FSYNC_SECS", "61"}, BadValue{"FSYNC_SECS", "-1"},
        BadValue{"WS_IDLE_SECS", "4"}, BadValue{"WS_IDLE_SECS", "3601"}, BadValue{"WS_MAX_AGE_SECS", "1"},
        BadValue{"WS_MAX_AGE_SECS", "86401"}, BadValue{"WS_STREAMS_PER_CONNECTION", "0"},
        BadValue{"WS_STREAMS_PER_CONNECTION", "1025"}, BadValue{"WS_STREAMS_PER_CONNECTION", "two"},
        BadValue{"WS_MAX_MESSAGE_BYTES", "1023"}, BadValue{"WS_MAX_MESSAGE_BYTES", "8388609"},
        BadValue{"BACKFILL_WEIGHT_PER_MIN", "24"},
        BadValue{"BACKFILL_WEIGHT_PER_MIN", "6001"}, BadValue{"BACKFILL_ALARM_SECS", "9"}, BadValue{"BACKFILL_ENABLED", "sometimes"}, BadValue{"STOP_TIMEOUT_SECS", "0"},
        BadValue{"STOP_TIMEOUT_SECS", "601"}, BadValue{"SPOOL_MAX_BYTES", "1048575"},
        BadValue{"SPOOL_MAX_BYTES", "1GB"}, BadValue{"SYMBOL", ""}, BadValue{"SYMBOL", "BTCUSDT,,ETHUSDT"},
        BadValue{"SYMBOL", "BTCUSDT,"}, BadValue{"SYMBOL", "BTC USDT"}, BadValue{"SYMBOL", "BTCUSDT,btcusdt"},
        BadValue{"SYMBOL", "B"}, BadValue{"SYMBOL", "BTC-USDT"}, BadValue{"SYMBOL", "AAAAAAAAAAAAAAAAAAAAA"},
        BadValue{"SYMBOL", "ALL,BTCUSDT"}, BadValue{"SYMBOLS_REFRESH_SECS", "4"},
        BadValue{"SYMBOLS_REFRESH_SECS", "86401"}, BadValue{"SYMBOLS_REFRESH_SECS", "5m"},
        BadValue{"INSTANCE_ID", "a b"}, BadValue{"INSTANCE_ID", "x/y"},
        BadValue{"INSTANCE_ID", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
        BadValue{"BINANCE_WS_URL", "https://stream.binance.com"}, BadValue{"BINANCE_WS_URL", "wss://"},
        BadValue{"BINANCE_WS_URL", "stream.binance.com:9443"}, BadValue{"BINANCE_WS_URL", "wss://h:99999"},
        BadValue{"BINANCE_REST_URL", "ws://api.binance.com"}, BadValue{"BINANCE_REST_URL", "ftp://x"},
        BadValue{"S3_ENDPOINT", "minio:9000"}, BadValue{"S3_ENDPOINT", "s3://bucket"},
        BadValue{"S3_FORCE_PATH_STYLE", "maybe"}, BadValue{"S3_FORCE_PATH_STYLE", "2"},
        BadValue{"S3_PREFIX", "/raw/"}, BadValue{"S3_PREFIX", "raw"}, BadValue{"S3_PREFIX", "a/../b/"},
        BadValue{"S3_PREFIX", "raw prefix/"}, BadValue{"METRICS_ADDR", "9108"},
        BadValue{"METRICS_ADDR", "localhost"}, BadValue{"METRICS_ADDR", ":9108"},
        BadValue{"METRICS_ADDR", "host:0"}, BadValue{"METRICS_ADDR", "host:65536"},
        BadValue{"LOG_LEVEL", "verbose"}, BadValue{"LOG_LEVEL", "INFO"}, BadValue{"LOG_FORMAT", "xml"},
        BadValue{"RAW_BUCKET", "My_Bucket"}, BadValue{"AWS_REGION", "US EAST"}, BadValue{"LOCAL_DIR", ""},
        BadValue{"LOCAL_STORE_DIR", ""}));

}  // namespace
}  // namespace mc
