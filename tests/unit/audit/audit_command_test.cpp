// The `audit` subcommand's command line (src/config/command_line.cpp).
#include <gtest/gtest.h>

#include "support/invocation_parser.hpp"

namespace mc {
namespace {

class AuditCommandTest : public ::testing::Test {
 protected:
  Invocation parse(const std::vector<std::string>& args) const { return line_.parse(args); }
  std::string error_of(const std::vector<std::string>& args) const { return line_.error_of(args); }

  testing::InvocationParser line_{"audit"};
};

TEST_F(AuditCommandTest, ParsesFlagsRangeAndSettings) {
  const Invocation invocation = parse({"--deep", "--json", "--from", "2026-11-25T05:00:00Z", "--to=1795586400000",
                                       "--symbol", "ETHUSDT,BTCUSDT", "--s3-prefix", "x/"});
  EXPECT_EQ(invocation.command, Invocation::Command::kAudit);
  EXPECT_TRUE(invocation.audit.deep);
  EXPECT_TRUE(invocation.audit.json);
  EXPECT_EQ(invocation.audit.from_ms, 1795582800000);
  EXPECT_EQ(invocation.audit.to_ms, 1795586400000);
  EXPECT_EQ(invocation.config.symbols, (std::vector<std::string>{"ETHUSDT", "BTCUSDT"}));
  EXPECT_EQ(invocation.config.s3_prefix, "x/");

  const Invocation defaults = parse({});
  EXPECT_FALSE(defaults.audit.deep);
  EXPECT_FALSE(defaults.audit.export_dir.has_value());
  EXPECT_FALSE(defaults.audit.from_ms.has_value());
  EXPECT_FALSE(defaults.audit.to_ms.has_value());
}

TEST_F(AuditCommandTest, OfflineAndSymbolsFromStoreAreOffByDefault) {
  const Invocation defaults = parse({});
  EXPECT_FALSE(defaults.audit.offline);
  EXPECT_FALSE(defaults.audit.symbols_from_store);
  const Invocation invocation = parse({"--offline", "--symbols-from-store"});
  EXPECT_TRUE(invocation.audit.offline);
  EXPECT_TRUE(invocation.audit.symbols_from_store);
  const std::string help = parse({"--help"}).text;
  EXPECT_NE(help.find("--offline"), std::string::npos);
  EXPECT_NE(help.find("--symbols-from-store"), std::string::npos);
  EXPECT_NE(help.find("3 the exchange could not"), std::string::npos);
}

TEST_F(AuditCommandTest, ExportTakesADirectoryAndImpliesDeep) {
  const Invocation invocation = parse({"--export", "/tmp/out"});
  EXPECT_EQ(invocation.audit.export_dir, "/tmp/out");
  EXPECT_TRUE(invocation.audit.deep);
  EXPECT_NE(error_of({"--export="}).find("--export"), std::string::npos);
  EXPECT_NE(parse({"--help"}).text.find("--export DIR"), std::string::npos);
}

TEST_F(AuditCommandTest, JobsTakesAThreadCountWithinBounds) {
  EXPECT_EQ(parse({"--jobs", "3"}).audit.jobs, 3u);
  EXPECT_EQ(parse({"--jobs=64"}).audit.jobs, kMaxAuditJobs);
  EXPECT_FALSE(parse({}).audit.jobs.has_value());
  for (const std::string bad : {"0", "65", "-1", "2x", ""}) {
    EXPECT_NE(error_of({"--jobs=" + bad}).find("--jobs=\"" + bad + "\""), std::string::npos) << bad;
  }
  EXPECT_NE(parse({"--help"}).text.find("--jobs N"), std::string::npos);
}

TEST_F(AuditCommandTest, BadValuesAreConfigErrors) {
  EXPECT_NE(error_of({"--from", "yesterday"}).find("--from=\"yesterday\""), std::string::npos);
  EXPECT_NE(error_of({"--from", "2026-11-25T06:00:00Z", "--to", "2026-11-25T05:00:00Z"}).find("must be before"),
            std::string::npos);
  EXPECT_NE(error_of({"--bogus"}).find("command line"), std::string::npos);
  EXPECT_EQ(parse({"--help"}).command, Invocation::Command::kHelp);
}

TEST(ParseUtcInstantTest, IsoAndEpochMilliseconds) {
  EXPECT_EQ(parse_utc_instant_ms("2026-11-25T05:00:00Z"), 1795582800000);
  EXPECT_EQ(parse_utc_instant_ms("2026-11-25T05:00:00.250Z"), 1795582800250);
  EXPECT_EQ(parse_utc_instant_ms("2026-11-25T05:00:00+00:00"), 1795582800000);
  EXPECT_EQ(parse_utc_instant_ms("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_utc_instant_ms("1795582800000"), 1795582800000);
  EXPECT_FALSE(parse_utc_instant_ms("2026-02-30T00:00:00Z").has_value());
  EXPECT_FALSE(parse_utc_instant_ms("2026-11-25T05:00:00").has_value());  // no zone: not UTC for sure
  EXPECT_FALSE(parse_utc_instant_ms("2026-11-25T05:00:00+01:00").has_value());
  EXPECT_FALSE(parse_utc_instant_ms("").has_value());
  EXPECT_FALSE(parse_utc_instant_ms("99999999999999999999999").has_value());
}

}  // namespace
}  // namespace mc
