#include "audit/coverage.hpp"

#include <gtest/gtest.h>

namespace mc {
namespace {

constexpr std::int64_t kFrom = 1'764'547'200'000;  // 2025-12-01T00:00:00Z
constexpr std::int64_t kTo = kFrom + 86'400'000;
const std::int64_t kGrace = kHeadStaleGrace.count();

AuditReport covered(std::initializer_list<std::pair<const char*, std::uint64_t>> parts_by_symbol) {
  AuditReport report{.store = "local:/s", .prefix = "raw/", .from_ms = kFrom, .to_ms = kTo};
  for (const auto& [symbol, parts] : parts_by_symbol) report.symbols.push_back({.symbol = symbol, .parts = parts});
  return report;
}

Head head_at(const char* instance, std::int64_t created_at_ms, const char* reason = "periodic") {
  return {.instance_id = instance, .created_at_ms = created_at_ms, .reason = reason};
}

std::vector<std::string> keys_of(const std::vector<Finding>& findings, FindingKind kind) {
  std::vector<std::string> keys;
  for (const Finding& finding : findings) {
    if (finding.kind == kind) keys.push_back(finding.key);
  }
  return keys;
}

TEST(CoverageTest, ACompleteRangeWithLiveInstancesHasNoFinding) {
  const std::map<std::string, Head> heads{{"i-a", head_at("i-a", kTo + 30'000)},
                                          {"i-b", head_at("i-b", kTo - kGrace + 1)}};
  EXPECT_TRUE(coverage_findings(covered({{"BTCUSDT", 3}, {"ETHUSDT", 2}}), heads, true).empty());
}

TEST(CoverageTest, EachSymbolWithoutAPartIsNamed) {
  const std::map<std::string, Head> heads{{"i-a", head_at("i-a", kTo)}};
  const std::vector<Finding> findings = coverage_findings(covered({{"BTCUSDT", 3}, {"ETHUSDT", 0}, {"SOLUSDT", 0}}),
                                                          heads, true);
  EXPECT_EQ(keys_of(findings, FindingKind::kNoData), (std::vector<std::string>{"ETHUSDT", "SOLUSDT"}));
  EXPECT_TRUE(keys_of(findings, FindingKind::kEmptyStore).empty());
}

TEST(CoverageTest, NoObjectInTheRangeAndNoHeadIsAnEmptyStore) {
  EXPECT_EQ(keys_of(coverage_findings(covered({{"BTCUSDT", 0}}), {}, false), FindingKind::kEmptyStore),
            (std::vector<std::string>{"local:/s"}));
  // Objects that are not parts (bad keys, orphans) or heads of an earlier day: the prefix is right.
  EXPECT_TRUE(keys_of(coverage_findings(covered({{"BTCUSDT", 0}}), {}, true), FindingKind::kEmptyStore).empty());
  const std::map<std::string, Head> old{{"i-a", head_at("i-a", kFrom - 86'400'000)}};
  EXPECT_TRUE(keys_of(coverage_findings(covered({{"BTCUSDT", 0}}), old, false), FindingKind::kEmptyStore).empty());
}

TEST(CoverageTest, AnInstanceWhoseHeadsStopInsideTheRangeStoppedDuringIt) {
  const std::map<std::string, Head> heads{
      {"i-died", head_at("i-died", kFrom + 15 * 3'600'000)},           // 15:00, no stop recorded
      {"i-stopped", head_at("i-stopped", kTo - kGrace - 1, "stop")},  // just outside the grace
      {"i-gone-before", head_at("i-gone-before", kFrom - 1)},         // not storing in the range at all
      {"i-live", head_at("i-live", kTo - kGrace)},                    // within the grace
  };
  const std::vector<Finding> findings = coverage_findings(covered({{"BTCUSDT", 5}}), heads, true);
  EXPECT_EQ(keys_of(findings, FindingKind::kInstanceStopped), (std::vector<std::string>{"i-died", "i-stopped"}));
  for (const Finding& finding : findings) {
    if (finding.key == "i-stopped") {
      EXPECT_NE(finding.reason.find("a clean stop"), std::string::npos);
    }
    if (finding.key == "i-died") {
      EXPECT_NE(finding.reason.find("2025-12-01T15:00:00.000Z"), std::string::npos);
    }
  }
}

TEST(CoverageTest, WithTheExchangesAnswersAStoppedInstanceAndAQuietSymbolAreNotFindings) {
  const std::map<std::string, Head> heads{{"i-died", head_at("i-died", kFrom + 15 * 3'600'000)}};
  const AuditReport report = covered({{"BTCUSDT", 5}, {"QUIETUSDT", 0}, {"ETHUSDT", 0}});
  const ExchangeTruth truth{{"BTCUSDT", {.ids = IdRange{1, 9}}},
                            {"QUIETUSDT", {}},  // nothing published in the range
                            {"ETHUSDT", {.ids = IdRange{1, 9}}}};
  const std::vector<Finding> findings = coverage_findings(report, heads, true, &truth);
  EXPECT_EQ(keys_of(findings, FindingKind::kNoData), (std::vector<std::string>{"ETHUSDT"}));
  EXPECT_TRUE(keys_of(findings, FindingKind::kInstanceStopped).empty());

  // A symbol the exchange did not answer for: the instance's stop is all the audit knows of the end.
  ExchangeTruth partly = truth;
  partly["ETHUSDT"] = {.failure = "exchange: HTTP 503"};
  EXPECT_EQ(keys_of(coverage_findings(report, heads, true, &partly), FindingKind::kInstanceStopped),
            (std::vector<std::string>{"i-died"}));
}

}  // namespace
}  // namespace mc
