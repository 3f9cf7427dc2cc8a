#include "ledger/ledger_state.hpp"

#include <gtest/gtest.h>

#include "common/file_util.hpp"
#include "support/temp_dir.hpp"

namespace mc {
namespace {

TEST(LedgerStateTest, RoundTripsThroughTheFile) {
  testing::TempDir dir;
  const auto file = dir.path() / "state" / "ledger.json";
  LedgerState state;
  state["BTCUSDT"] =
      SymbolLedger{.last_written = 500, .pending = IdSet{{10, 20}, {40, 40}}, .given_up = IdSet{{30, 31}}};
  state["ETHUSDT"] = SymbolLedger{};
  ASSERT_TRUE(save_ledger_state(file, state));
  Result<LedgerState> loaded = load_ledger_state(file);
  ASSERT_TRUE(loaded) << loaded.status().message();
  EXPECT_EQ(*loaded, state);
  EXPECT_EQ(render_ledger_state(state),
            R"({"version":1,"symbols":{"BTCUSDT":{"last_written":500,"pending":[[10,20],[40,40]],"given_up":[[30,31]]},)"
            R"("ETHUSDT":{"last_written":-1,"pending":[],"given_up":[]}}})"
            "\n");
}

TEST(LedgerStateTest, AFileWithoutGivenUpIdsReadsAsNoneGivenUp) {
  Result<LedgerState> state = parse_ledger_state(R"({"version":1,"symbols":{"BTCUSDT":{"last_written":9,"pending":[[2,3]]}}})");
  ASSERT_TRUE(state) << state.status().message();
  EXPECT_EQ(state->at("BTCUSDT"), (SymbolLedger{.last_written = 9, .pending = IdSet{{2, 3}}}));
}

TEST(LedgerStateTest, AMissingFileIsAnEmptyState) {
  testing::TempDir dir;
  Result<LedgerState> loaded = load_ledger_state(dir.path() / "nothing.json");
  ASSERT_TRUE(loaded);
  EXPECT_TRUE(loaded->empty());
}

TEST(LedgerStateTest, DamageIsCorruptAndNamesWhatIsWrong) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "not a JSON object"},
      {R"({"version":2,"symbols":{}})", "version is not 1"},
      {R"({"version":1})", "\"symbols\" is not an object"},
      {R"({"version":1,"symbols":{"BTCUSDT":{"pending":[]}}})", "symbols.BTCUSDT.last_written"},
      {R"({"version":1,"symbols":{"BTCUSDT":{"last_written":"7","pending":[]}}})", "symbols.BTCUSDT.last_written"},
      {R"({"version":1,"symbols":{"BTCUSDT":{"last_written":7}}})", "symbols.BTCUSDT.pending is not an array"},
      {R"({"version":1,"symbols":{"BTCUSDT":{"last_written":7,"pending":[[5,3]]}}})", "[5,3]"},
      {R"({"version":1,"symbols":{"BTCUSDT":{"last_written":7,"pending":[[5,7]]}}})", "below last_written"},
      {R"({"version":1,"symbols":{"BTCUSDT":{"last_written":7,"pending":[[-1,2]]}}})", "[-1,2]"},
      {R"({"version":1,"symbols":{"BTCUSDT":{"last_written":7,"pending":[],"given_up":[[5,9]]}}})",
       "symbols.BTCUSDT.given_up holds [5,9]"},
      {R"({"version":1,"symbols":{"BTCUSDT":{"last_written":7,"pending":[],"given_up":{}}}})",
       "symbols.BTCUSDT.given_up is not an array"},
  };
  for (const auto& [text, expected] : cases) {
    Result<LedgerState> parsed = parse_ledger_state(text);
    ASSERT_FALSE(parsed) << text;
    EXPECT_EQ(parsed.status().kind(), ErrorKind::kCorrupt) << text;
    EXPECT_NE(parsed.status().message().find(expected), std::string::npos) << parsed.status().message();
  }
}

TEST(LedgerStateTest, ACorruptFileIsNamedInTheError) {
  testing::TempDir dir;
  const auto file = dir.path() / "ledger.json";
  ASSERT_TRUE(write_file_atomic(file, "{\"version\":1,"));
  Result<LedgerState> loaded = load_ledger_state(file);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.status().kind(), ErrorKind::kCorrupt);
  EXPECT_NE(loaded.status().message().find(file.string()), std::string::npos) << loaded.status().message();
}

}  // namespace
}  // namespace mc
