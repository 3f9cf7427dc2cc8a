// The range arithmetic of the audit against the exchange (src/audit/exchange_check.cpp).
#include "audit/exchange_check.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace mc {
namespace {

using ::testing::HasSubstr;

TEST(PublishedRange, IsFromTheFirstIdAtFromToTheOneBeforeTheFirstAtTo) {
  EXPECT_EQ(published_range({.first_at_or_after = 1000}, {.first_at_or_after = 1210}), (IdRange{1000, 1209}));
  // One trade in the range.
  EXPECT_EQ(published_range({.first_at_or_after = 7}, {.first_at_or_after = 8}), (IdRange{7, 7}));
}

TEST(PublishedRange, EndsAtTheNewestTradeWhenNoneIsAtOrAfterTo) {
  EXPECT_EQ(published_range({.first_at_or_after = 1000}, {.newest = 1500}), (IdRange{1000, 1500}));
}

TEST(PublishedRange, IsEmptyWithoutATradeInTheRange) {
  // The first trade at or after from is the first at or after to: nothing in between.
  EXPECT_EQ(published_range({.first_at_or_after = 1210}, {.first_at_or_after = 1210}), std::nullopt);
  // No trade at or after from at all (the range is in the future).
  EXPECT_EQ(published_range({.newest = 999}, {.newest = 999}), std::nullopt);
  // A symbol with no trade ever.
  EXPECT_EQ(published_range({}, {}), std::nullopt);
}

TEST(MissingAtEnds, ALateStartAndAnEarlyStopAreBothNamed) {
  const IdSet stored{{1050, 1100}, {1150, 1180}};
  const EndsMissing missing = missing_at_ends(IdRange{1000, 1209}, stored, {}, {});
  EXPECT_EQ(missing.at_start, (IdSet{{1000, 1049}}));
  EXPECT_EQ(missing.at_end, (IdSet{{1181, 1209}}));
}

TEST(MissingAtEnds, ACompleteUnionMissesNothingEvenWhenItReachesBeyondTheRange) {
  EXPECT_TRUE(missing_at_ends(IdRange{1000, 1209}, IdSet{{1000, 1209}}, {}, {}).at_start.empty());
  const EndsMissing wider = missing_at_ends(IdRange{1000, 1209}, IdSet{{900, 1300}}, {}, {});
  EXPECT_TRUE(wider.at_start.empty());
  EXPECT_TRUE(wider.at_end.empty());
}

TEST(MissingAtEnds, HolesInsideTheUnionAreNotCountedAgain) {
  // 1101-1149 is SymbolReport::missing's; only what lies beyond the union's ends is here.
  const EndsMissing missing = missing_at_ends(IdRange{1000, 1209}, IdSet{{1000, 1100}, {1150, 1300}}, {}, {});
  EXPECT_TRUE(missing.at_start.empty());
  EXPECT_TRUE(missing.at_end.empty());
}

TEST(MissingAtEnds, TradesStoredJustAfterTheRangeCloseItsEnd) {
  const EndsMissing missing = missing_at_ends(IdRange{1000, 1209}, IdSet{{1000, 1200}}, IdSet{{1201, 1205}}, {});
  EXPECT_EQ(missing.at_end, (IdSet{{1206, 1209}}));
}

TEST(MissingAtEnds, IdsTheExchangeDisownedAreNotMissing) {
  const EndsMissing missing =
      missing_at_ends(IdRange{1000, 1209}, IdSet{{1010, 1200}}, {}, IdSet{{1000, 1004}, {1205, 1209}});
  EXPECT_EQ(missing.at_start, (IdSet{{1005, 1009}}));
  EXPECT_EQ(missing.at_end, (IdSet{{1201, 1204}}));
}

TEST(MissingAtEnds, NothingStoredMissesTheWholeRangeAtTheStart) {
  const EndsMissing missing = missing_at_ends(IdRange{1000, 1209}, {}, {}, {});
  EXPECT_EQ(missing.at_start, (IdSet{{1000, 1209}}));
  EXPECT_TRUE(missing.at_end.empty());
  // Stored ids all before the range: its whole span lies after the union.
  EXPECT_EQ(missing_at_ends(IdRange{1000, 1209}, IdSet{{1, 9}}, {}, {}).at_end, (IdSet{{1000, 1209}}));
  // Nothing published: nothing missing.
  EXPECT_TRUE(missing_at_ends(std::nullopt, {}, {}, {}).at_start.empty());
}

AuditReport report_of(IdSet ids) {
  AuditReport report{.store = "local:/s", .prefix = "raw/", .from_ms = 1'795'582'800'000,
                     .to_ms = 1'795'583'400'000};
  report.symbols.push_back({.symbol = "BTCUSDT", .ids = std::move(ids), .parts = 2});
  return report;
}

TEST(ExchangeFindings, MissingEndsAreFindingsNamingTheIdsAndExitOne) {
  AuditReport report = report_of(IdSet{{1050, 1180}});
  add_exchange_findings(report, {{"BTCUSDT", {.ids = IdRange{1000, 1209}}}}, {});
  ASSERT_EQ(report.findings.size(), 2U);
  EXPECT_EQ(report.findings[0].kind, FindingKind::kMissingStart);
  EXPECT_EQ(report.findings[0].key, "BTCUSDT");
  EXPECT_THAT(report.findings[0].reason, HasSubstr("50 ids the exchange published from 2026-11-25T05:00:00.000Z"));
  EXPECT_THAT(report.findings[0].reason, HasSubstr("1000-1049"));
  EXPECT_THAT(report.findings[0].reason, HasSubstr("the first stored id is 1050"));
  EXPECT_EQ(report.findings[1].kind, FindingKind::kMissingEnd);
  EXPECT_THAT(report.findings[1].reason, HasSubstr("1181-1209"));
  EXPECT_EQ(report.symbols[0].missing_end, (IdSet{{1181, 1209}}));
  EXPECT_EQ(report.exit_code(), 1);
  EXPECT_THAT(render_json(report), HasSubstr(R"("exchange":{"first_id":1000,"last_id":1209,"missing_start_count":50,)"
                                             R"("missing_start":[[1000,1049]],"missing_end_count":29,)"
                                             R"("missing_end":[[1181,1209]]})"));
  EXPECT_THAT(render_table(report), HasSubstr("exchange: ids 1000-1209 published; missing at the start 50: 1000-1049"));
}

TEST(ExchangeFindings, ACompleteRangeIsClean) {
  AuditReport report = report_of(IdSet{{1000, 1209}});
  add_exchange_findings(report, {{"BTCUSDT", {.ids = IdRange{1000, 1209}}}}, {});
  EXPECT_TRUE(report.findings.empty());
  EXPECT_EQ(report.exit_code(), 0);
}

TEST(ExchangeFindings, AnUnansweredSymbolIsNeitherCleanNorAProblem) {
  AuditReport report = report_of(IdSet{{1000, 1209}});
  add_exchange_findings(report, {{"BTCUSDT", {.failure = "exchange: HTTP 503"}}}, {});
  ASSERT_EQ(report.findings.size(), 1U);
  EXPECT_EQ(report.findings[0].kind, FindingKind::kExchangeUnavailable);
  EXPECT_THAT(report.findings[0].reason, HasSubstr("exchange: HTTP 503"));
  EXPECT_EQ(report.exit_code(), kExitExchangeUnavailable);
  EXPECT_THAT(render_table(report), HasSubstr("result: NOT CHECKED"));
  EXPECT_THAT(render_json(report), HasSubstr(R"("exchange":{"error":"exchange: HTTP 503"})"));
  // Any proven problem beside it wins: exit 1.
  report.findings.push_back({FindingKind::kOrphanPart, "k", "r"});
  EXPECT_EQ(report.exit_code(), 1);
}

TEST(ExchangeFindings, OfflineReportsHaveNoExchangeMember) {
  const AuditReport report = report_of(IdSet{{1000, 1209}});
  EXPECT_THAT(render_json(report), HasSubstr(R"("exchange":null)"));
}

}  // namespace
}  // namespace mc
