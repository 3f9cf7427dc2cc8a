// The `ohlcv` subcommand's command line (src/config/command_line.cpp).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/invocation_parser.hpp"

namespace mc {
namespace {

using ::testing::HasSubstr;

class OhlcvArgumentsTest : public ::testing::Test {
 protected:
  Invocation parse(const std::vector<std::string>& args) const { return line_.parse(args); }
  std::string error_of(const std::vector<std::string>& args) const { return line_.error_of(args); }

  testing::InvocationParser line_{"ohlcv"};
};

TEST_F(OhlcvArgumentsTest, ParsesDaysOutAndSettings) {
  const Invocation invocation = parse({"--from", "2025-02-09", "--to=2025-02-11T00:00:00Z", "--out", "/tmp/x",
                                       "--require-complete", "--jobs", "3", "--symbol", "BTCUSDT"});
  EXPECT_EQ(invocation.command, Invocation::Command::kOhlcv);
  EXPECT_EQ(invocation.ohlcv.from_ms, 1739059200000);
  EXPECT_EQ(invocation.ohlcv.to_ms, 1739232000000);
  EXPECT_EQ(invocation.ohlcv.out_dir, "/tmp/x");
  EXPECT_TRUE(invocation.ohlcv.require_complete);
  EXPECT_EQ(invocation.ohlcv.jobs, 3U);
  EXPECT_EQ(invocation.config.symbols, (std::vector<std::string>{"BTCUSDT"}));

  const Invocation defaults = parse({"--from", "1739059200000", "--to", "2025-02-10", "--out", "d"});
  EXPECT_EQ(defaults.ohlcv.from_ms, 1739059200000);
  EXPECT_FALSE(defaults.ohlcv.require_complete);
  EXPECT_FALSE(defaults.ohlcv.jobs.has_value());
}

TEST_F(OhlcvArgumentsTest, BadArgumentsNameWhatIsWrong) {
  EXPECT_THAT(error_of({"--to", "2025-02-10", "--out", "d"}), HasSubstr("--from is required"));
  EXPECT_THAT(error_of({"--from", "2025-02-09", "--out", "d"}), HasSubstr("--to is required"));
  EXPECT_THAT(error_of({"--from", "2025-02-09", "--to", "2025-02-10"}), HasSubstr("--out DIR is required"));
  EXPECT_THAT(error_of({"--from", "2025-02-09", "--to", "2025-02-10", "--out="}), HasSubstr("--out DIR is required"));
  EXPECT_THAT(error_of({"--from", "yesterday", "--to", "2025-02-10", "--out", "d"}),
              HasSubstr("--from=\"yesterday\": expected a UTC day"));
  EXPECT_THAT(error_of({"--from", "2025-02-09T05:00:00Z", "--to", "2025-02-10", "--out", "d"}),
              HasSubstr("must be a UTC midnight"));
  EXPECT_THAT(error_of({"--from", "2025-02-10", "--to", "2025-02-10", "--out", "d"}), HasSubstr("must be before --to"));
  EXPECT_THAT(error_of({"--from", "2025-02-09", "--to", "2025-02-10", "--out", "d", "--jobs", "0"}),
              HasSubstr("--jobs=\"0\""));
  EXPECT_THAT(error_of({"--from", "2025-02-09", "--to", "2025-02-10", "--out", "d", "--deep"}),
              HasSubstr("command line"));
}

TEST_F(OhlcvArgumentsTest, HelpNamesTheLayoutAndTheLibrary) {
  const Invocation help = parse({"--help"});
  EXPECT_EQ(help.command, Invocation::Command::kHelp);
  EXPECT_THAT(help.text, HasSubstr("DIR/ohlcv_1s/symbol=S/dt=D/*.parquet"));
  EXPECT_THAT(help.text, HasSubstr("MC_LIBDUCKDB"));
}

}  // namespace
}  // namespace mc
