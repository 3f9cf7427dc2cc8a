#include "ledger/trade_ledger.hpp"

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "common/file_util.hpp"
#include "spool/spool_layout.hpp"
#include "support/fake_clock.hpp"
#include "support/temp_dir.hpp"

namespace mc {
namespace {

const std::vector<std::string> kSymbols = {"BTCUSDT", "ETHUSDT"};

std::string trade_line(std::string_view symbol, std::int64_t id) {
  return R"({"recv_us":1739141034567123,"stream":"x@trade","data":{"e":"trade","E":1739141034567,"s":")" +
         std::string(symbol) + R"(","t":)" + std::to_string(id) + "}}\n";
}

class TradeLedgerTest : public ::testing::Test {
 protected:
  TradeLedgerTest() { metrics_.add_symbols(kSymbols); }

  std::unique_ptr<TradeLedger> make() {
    auto ledger = std::make_unique<TradeLedger>(kSymbols, layout_.ledger_file(), metrics_, clock_);
    return ledger;
  }

  void start(TradeLedger& ledger) {
    ledger.start([this](std::size_t symbol, IdRange range) { gaps_.emplace_back(symbol, range); });
  }

  // What the writer thread does with one record; true when it was written.
  static bool offer(TradeLedger& ledger, std::size_t symbol, std::int64_t id) {
    const RecordMeta record{.route = RouteTable::data_route(symbol), .trade_id = id};
    return ledger.admit(record);
  }

  // An open part the previous run left, holding these ids.
  std::filesystem::path open_part(std::size_t symbol, const std::vector<std::int64_t>& ids, std::int64_t epoch_ms) {
    const PartName name{"raw/", PartKind::kData, "trade", kSymbols[symbol], "i-1", epoch_ms};
    std::string content;
    for (const std::int64_t id : ids) content += trade_line(kSymbols[symbol], id);
    std::filesystem::create_directories(layout_.open_dir());
    const std::filesystem::path file = layout_.open_file(name);
    EXPECT_TRUE(write_file_atomic(file, content));
    return file;
  }

  std::vector<std::pair<std::string, std::uint64_t>> gaps_by_symbol() const {
    std::vector<std::pair<std::string, std::uint64_t>> out;
    metrics_.for_each_symbol_gaps(
        [&](const LedgerMetrics::SymbolGaps& symbol) { out.emplace_back(symbol.symbol, symbol.gaps.load()); });
    return out;
  }

  testing::TempDir dir_;
  SpoolLayout layout_{dir_.path()};
  LedgerMetrics metrics_;
  testing::FakeClock clock_;
  std::vector<std::pair<std::size_t, IdRange>> gaps_;
};

TEST_F(TradeLedgerTest, JumpsAreGapsRepeatsAreDroppedLateIdsFillTheGap) {
  auto ledger = make();
  ASSERT_TRUE(ledger->restore({}));
  start(*ledger);
  std::vector<std::int64_t> written;
  for (const std::int64_t id : {10, 11, 15, 12, 15, 16, 11}) {
    if (offer(*ledger, 0, id)) written.push_back(id);
  }
  EXPECT_EQ(written, (std::vector<std::int64_t>{10, 11, 15, 12, 16}));
  // 12 came late, within the grace: only 13 and 14 become a gap, once the grace is over.
  ledger->tick();
  EXPECT_TRUE(gaps_.empty());
  EXPECT_EQ(metrics_.trade_id_gaps.load(), 0U);
  EXPECT_EQ(metrics_.trade_ids_pending.load(), 2);
  clock_.advance(kGapGrace);
  ledger->tick();
  ASSERT_EQ(gaps_.size(), 1U);
  EXPECT_EQ(gaps_[0], (std::pair<std::size_t, IdRange>{0, {13, 14}}));
  const SymbolLedger state = ledger->symbol_state(0);
  EXPECT_EQ(state.last_written, 16);
  EXPECT_EQ(state.pending, (IdSet{{13, 14}}));
  EXPECT_EQ(ledger->symbol_state(1).last_written, -1);
  EXPECT_EQ(metrics_.trade_id_gaps.load(), 1U);
  EXPECT_EQ(metrics_.trade_ids_missing.load(), 2U);
  EXPECT_EQ(metrics_.trade_ids_duplicate.load(), 2U);
  EXPECT_EQ(metrics_.trade_ids_backfilled.load(), 0U);
  EXPECT_TRUE(offer(*ledger, 0, 13));  // the backfill's copy
  EXPECT_EQ(metrics_.trade_ids_backfilled.load(), 1U);
  EXPECT_EQ(metrics_.trade_ids_pending.load(), 1);
}

// The per-symbol split says which stream loses trades; it always adds up to the total.
TEST_F(TradeLedgerTest, GapsAreCountedForTheirSymbolOnly) {
  auto ledger = make();
  ASSERT_TRUE(ledger->restore({}));
  start(*ledger);
  for (const std::int64_t id : {100, 103, 107}) offer(*ledger, 1, id);
  for (const std::int64_t id : {10, 11, 12}) offer(*ledger, 0, id);
  clock_.advance(kGapGrace);
  ledger->tick();
  EXPECT_EQ(gaps_by_symbol(), (std::vector<std::pair<std::string, std::uint64_t>>{{"BTCUSDT", 0}, {"ETHUSDT", 2}}));
  EXPECT_EQ(metrics_.trade_id_gaps.load(), 2U);
}

TEST_F(TradeLedgerTest, AJumpFilledWithinTheGraceIsNoGap) {
  auto ledger = make();
  ASSERT_TRUE(ledger->restore({}));
  start(*ledger);
  // A replacement connection ahead of the old one: 20..22 first, then the old one's 13..19.
  for (const std::int64_t id : {10, 11, 12, 20, 21, 22, 13, 14, 15, 16, 17, 18, 19, 20}) offer(*ledger, 0, id);
  clock_.advance(kGapGrace);
  ledger->tick();
  EXPECT_TRUE(gaps_.empty());
  EXPECT_TRUE(ledger->symbol_state(0).pending.empty());
  EXPECT_TRUE(ledger->take_notes(RouteTable::data_route(0)).empty());
  EXPECT_EQ(metrics_.trade_id_gaps.load(), 0U);
  EXPECT_EQ(metrics_.trade_ids_pending.load(), 0);
  EXPECT_EQ(metrics_.trade_ids_duplicate.load(), 1U);
}

TEST_F(TradeLedgerTest, QuarantineAndUnknownRoutesPassUntouched) {
  auto ledger = make();
  ASSERT_TRUE(ledger->restore({}));
  EXPECT_TRUE(ledger->admit(RecordMeta{.route = RouteTable::quarantine_route(0), .trade_id = -1}));
  EXPECT_TRUE(ledger->admit(RecordMeta{.route = RouteTable::unroutable_quarantine_route(), .trade_id = -1}));
  EXPECT_TRUE(ledger->admit(RecordMeta{.route = RouteTable::data_route(20), .trade_id = 7}));  // no such symbol
  EXPECT_TRUE(ledger->take_notes(RouteTable::quarantine_route(0)).empty());
}

// SYMBOL=ALL: a listing starts with nothing written, so its first trade opens no gap, and it is
// saved with the rest.
TEST_F(TradeLedgerTest, AListingStartsCleanAndIsCheckpointed) {
  auto ledger = make();
  ASSERT_TRUE(ledger->restore({}));
  start(*ledger);
  ledger->add_symbol("NEWUSDT");
  EXPECT_TRUE(offer(*ledger, 2, 500));
  EXPECT_TRUE(offer(*ledger, 2, 501));
  EXPECT_FALSE(offer(*ledger, 2, 501));
  EXPECT_TRUE(offer(*ledger, 2, 505));  // its gaps are counted per symbol from now on
  clock_.advance(kGapGrace);
  ledger->tick();
  EXPECT_EQ(gaps_.size(), 1U);
  EXPECT_EQ(gaps_by_symbol().back(), (std::pair<std::string, std::uint64_t>{"NEWUSDT", 1}));
  EXPECT_EQ(ledger->symbol_state(2).last_written, 505);
  ledger->checkpoint();
  auto again = std::make_unique<TradeLedger>(std::vector<std::string>{"BTCUSDT", "ETHUSDT", "NEWUSDT"},
                                             layout_.ledger_file(), metrics_, clock_);
  ASSERT_TRUE(again->restore({}));
  EXPECT_EQ(again->symbol_state(2).last_written, 505);
}

// SYMBOL=ALL: a delisted symbol's suspected and pending ids are dropped, so no gap is alarmed or
// backfilled, and a relisting starts it afresh.
TEST_F(TradeLedgerTest, ARetiredSymbolRaisesNoGap) {
  auto ledger = make();
  ASSERT_TRUE(ledger->restore({}));
  start(*ledger);
  offer(*ledger, 1, 10);
  offer(*ledger, 1, 20);  // 11..19 suspected
  ledger->retire(1);
  clock_.advance(kGapGrace);
  ledger->tick();
  EXPECT_TRUE(gaps_.empty());
  EXPECT_EQ(metrics_.trade_id_gaps.load(), 0U);
  EXPECT_EQ(metrics_.trade_ids_pending.load(), 0);
  EXPECT_EQ(ledger->symbol_state(1), SymbolLedger{});
  EXPECT_TRUE(offer(*ledger, 1, 90));  // relisted: no gap from 20
  clock_.advance(kGapGrace);
  ledger->tick();
  EXPECT_TRUE(gaps_.empty());
}

TEST_F(TradeLedgerTest, NotesGoToTheNextClosedPartOnce) {
  auto ledger = make();
  ASSERT_TRUE(ledger->restore({}));
  start(*ledger);
  for (const std::int64_t id : {1, 5, 9}) offer(*ledger, 1, id);
  ledger->give_up(1, {2, 3});
  clock_.advance(kGapGrace);
  ledger->tick();
  const PartNotes notes = ledger->take_notes(RouteTable::data_route(1));
  EXPECT_EQ(notes.gaps_seen, (std::vector<IdRange>{{4, 4}, {6, 8}}));
  EXPECT_EQ(notes.unrecoverable, (std::vector<IdRange>{{2, 3}}));
  EXPECT_TRUE(ledger->take_notes(RouteTable::data_route(1)).empty());
  EXPECT_TRUE(ledger->take_notes(RouteTable::data_route(0)).empty());
  EXPECT_EQ(ledger->symbol_state(1).pending, (IdSet{{4, 4}, {6, 8}}));
  EXPECT_EQ(metrics_.trade_ids_unrecoverable.load(), 2U);
  EXPECT_EQ(metrics_.trade_ids_pending.load(), 4);
}

TEST_F(TradeLedgerTest, GivingUpOnIdsAlreadyFilledChangesNothing) {
  auto ledger = make();
  ASSERT_TRUE(ledger->restore({}));
  for (const std::int64_t id : {1, 5, 3}) offer(*ledger, 0, id);
  ledger->give_up(0, {2, 4});  // 3 arrived late: only 2 and 4 are given up
  EXPECT_EQ(ledger->take_notes(RouteTable::data_route(0)).unrecoverable, (std::vector<IdRange>{{2, 2}, {4, 4}}));
  EXPECT_EQ(metrics_.trade_ids_unrecoverable.load(), 2U);
  ledger->give_up(0, {2, 4});
  EXPECT_TRUE(ledger->take_notes(RouteTable::data_route(0)).unrecoverable.empty());
}

TEST_F(TradeLedgerTest, GivenUpIdsThatArriveAfterAllAreWrittenNotDroppedAsDuplicates) {
  auto ledger = make();
  ASSERT_TRUE(ledger->restore({}));
  start(*ledger);
  for (const std::int64_t id : {1, 10}) offer(*ledger, 0, id);
  ledger->give_up(0, {2, 9});
  EXPECT_TRUE(offer(*ledger, 0, 4));   // live, late: written
  EXPECT_TRUE(offer(*ledger, 0, 9));
  EXPECT_FALSE(offer(*ledger, 0, 4));  // now it is written: a duplicate
  EXPECT_FALSE(offer(*ledger, 0, 10));
  EXPECT_EQ(metrics_.trade_ids_late.load(), 2U);
  EXPECT_EQ(metrics_.trade_ids_duplicate.load(), 2U);
  EXPECT_EQ(ledger->symbol_state(0).given_up, (IdSet{{2, 3}, {5, 8}}));
}

TEST_F(TradeLedgerTest, GivenUpIdsSurviveARestartAndAreStillWrittenWhenTheyArrive) {
  {
    auto ledger = make();
    ASSERT_TRUE(ledger->restore({}));
    for (const std::int64_t id : {1, 10}) offer(*ledger, 0, id);
    ledger->give_up(0, {2, 9});
    ledger->checkpoint();
  }
  auto ledger = make();
  ASSERT_TRUE(ledger->restore({}));
  start(*ledger);
  EXPECT_TRUE(gaps_.empty());  // given up is not pending: nothing asked of the backfill
  EXPECT_TRUE(offer(*ledger, 0, 7));
  EXPECT_EQ(metrics_.trade_ids_late.load(), 1U);
}

TEST_F(TradeLedgerTest, ARestartSeesTheDowntimeAsAGapAndResendsPendingGaps) {
  {
    auto ledger = make();
    ASSERT_TRUE(ledger->restore({}));
    for (const std::int64_t id : {100, 101, 110}) offer(*ledger, 0, id);
    ledger->checkpoint();
  }
  auto ledger = make();
  ASSERT_TRUE(ledger->restore({}));
  start(*ledger);
  ASSERT_EQ(gaps_.size(), 1U);  // the pending gap, handed to the backfill again
  EXPECT_EQ(gaps_[0], (std::pair<std::size_t, IdRange>{0, {102, 109}}));
  EXPECT_FALSE(offer(*ledger, 0, 110));  // an overlap with what was written before the restart
  EXPECT_TRUE(offer(*ledger, 0, 150));
  clock_.advance(kGapGrace);
  ledger->tick();
  ASSERT_EQ(gaps_.size(), 2U);
  EXPECT_EQ(gaps_[1], (std::pair<std::size_t, IdRange>{0, {111, 149}}));
}

TEST_F(TradeLedgerTest, OpenPartsOfThePreviousRunRaiseTheSavedState) {
  {
    auto ledger = make();
    ASSERT_TRUE(ledger->restore({}));
    for (const std::int64_t id : {100, 110}) offer(*ledger, 0, id);
    ledger->checkpoint();
  }
  // Written after the last checkpoint: 111..113 and 115, and 105 (a late fill of the gap).
  const auto btc = open_part(0, {111, 112, 113, 105, 115}, 1739141034000);
  const auto eth = open_part(1, {7, 8}, 1739141034001);
  auto ledger = make();
  ASSERT_TRUE(ledger->restore({btc, eth, layout_.open_dir() / "not-a-part"}));
  const SymbolLedger state = ledger->symbol_state(0);
  EXPECT_EQ(state.last_written, 115);
  EXPECT_EQ(state.pending, (IdSet{{101, 104}, {106, 109}, {114, 114}}));
  EXPECT_EQ(ledger->symbol_state(1).last_written, 8);
  EXPECT_TRUE(ledger->symbol_state(1).pending.empty());
  // Already saved: the caller may seal, store and delete those parts at once.
  Result<LedgerState> saved = load_ledger_state(layout_.ledger_file());
  ASSERT_TRUE(saved) << saved.status().message();
  EXPECT_EQ(saved->at("BTCUSDT"), state);
  EXPECT_EQ(saved->at("ETHUSDT").last_written, 8);
}

TEST_F(TradeLedgerTest, ACorruptStateFileIsMovedAsideAndTheLedgerStartsEmpty) {
  std::filesystem::create_directories(layout_.ledger_file().parent_path());
  ASSERT_TRUE(write_file_atomic(layout_.ledger_file(), "{\"version\":1,\"symbols\":"));
  auto ledger = make();
  ASSERT_TRUE(ledger->restore({}));
  EXPECT_EQ(ledger->symbol_state(0).last_written, -1);
  std::size_t aside = 0;
  for (const auto& entry : std::filesystem::directory_iterator(layout_.ledger_file().parent_path())) {
    if (entry.path().filename().string().starts_with("ledger.json.corrupt-")) ++aside;
  }
  EXPECT_EQ(aside, 1U);
  // In its place, the fresh (empty) state restore() saved.
  Result<LedgerState> saved = load_ledger_state(layout_.ledger_file());
  ASSERT_TRUE(saved) << saved.status().message();
  EXPECT_EQ(saved->at("BTCUSDT").last_written, -1);
}

TEST_F(TradeLedgerTest, LinesAFullDiskDroppedAreMissingAgainAndGoToTheBackfill) {
  auto ledger = make();
  ASSERT_TRUE(ledger->restore({}));
  start(*ledger);
  for (const std::int64_t id : {1, 2, 3, 4, 5, 6}) offer(*ledger, 0, id);
  ledger->unwritten(RouteTable::data_route(0), trade_line("BTCUSDT", 3) + trade_line("BTCUSDT", 4) + trade_line("BTCUSDT", 6));
  const SymbolLedger state = ledger->symbol_state(0);
  EXPECT_EQ(state.last_written, 6);
  EXPECT_EQ(state.pending, (IdSet{{3, 4}, {6, 6}}));
  EXPECT_EQ(gaps_, (std::vector<std::pair<std::size_t, IdRange>>{{0, {3, 4}}, {0, {6, 6}}}));
  EXPECT_EQ(ledger->take_notes(RouteTable::data_route(0)).gaps_seen, (std::vector<IdRange>{{3, 4}, {6, 6}}));
  EXPECT_EQ(metrics_.trade_ids_pending.load(), 3);
  EXPECT_TRUE(offer(*ledger, 0, 4));  // the backfill's copy is written
  EXPECT_FALSE(offer(*ledger, 0, 5));
  ledger->unwritten(RouteTable::quarantine_route(0), trade_line("BTCUSDT", 9));  // a quarantine route: ignored
  EXPECT_EQ(ledger->symbol_state(0).pending, (IdSet{{3, 3}, {6, 6}}));
}

TEST_F(TradeLedgerTest, AnIdFarBelowTheLastOneRestartsTheSymbol) {
  auto ledger = make();
  ASSERT_TRUE(ledger->restore({}));
  offer(*ledger, 0, 50'000'000);
  offer(*ledger, 0, 50'000'005);
  EXPECT_TRUE(offer(*ledger, 0, 1'000));
  const SymbolLedger state = ledger->symbol_state(0);
  EXPECT_EQ(state.last_written, 1'000);
  EXPECT_TRUE(state.pending.empty());
  EXPECT_TRUE(offer(*ledger, 0, 1'001));
}

}  // namespace
}  // namespace mc
