#include "audit/part_numbers.hpp"

#include <gtest/gtest.h>

#include "keys/part_name.hpp"

namespace mc {
namespace {

constexpr std::int64_t kT0 = 1'764'046'800'000;  // 2025-11-25T05:00:00Z
const AuditRequest kRequest{.prefix = "raw/", .symbols = {"BTCUSDT"}, .from_ms = kT0, .to_ms = kT0 + 3'600'000};

std::string key_of(const std::string& instance, std::int64_t epoch_ms) {
  return PartName{"raw/", PartKind::kData, "trade", "BTCUSDT", instance, epoch_ms}.part_key();
}

// Part n of an instance, written at kT0 + n * 5 s, naming part n - 1 as its previous.
AuditedPart part(const std::string& instance, std::uint64_t n) {
  AuditedPart out{.symbol = "BTCUSDT", .instance_id = instance, .epoch_ms = kT0 + static_cast<std::int64_t>(n) * 5000};
  out.part_key = key_of(instance, out.epoch_ms);
  out.manifest.part_number = n;
  if (n > 1) out.manifest.previous_part_key = key_of(instance, out.epoch_ms - 5000);
  return out;
}

std::vector<std::string> reasons(const std::vector<Finding>& findings) {
  std::vector<std::string> out;
  for (const Finding& finding : findings) {
    EXPECT_EQ(finding.kind, FindingKind::kLostPart);
    out.push_back(finding.reason);
  }
  return out;
}

Head head_of(const std::string& instance, std::uint64_t n) {
  return Head{.instance_id = instance, .created_at_ms = kT0 + 999'000, .reason = "stop",
              .writers = {{.stream = "trade", .symbol = "BTCUSDT", .part_number = n,
                           .part_key = key_of(instance, kT0 + static_cast<std::int64_t>(n) * 5000)}}};
}

TEST(PartNumbersTest, AnUnbrokenRunWithItsHeadLosesNothing) {
  const std::vector<AuditedPart> parts = {part("i-a", 1), part("i-a", 2), part("i-a", 3)};
  EXPECT_TRUE(find_lost_parts(parts, {{"i-a", head_of("i-a", 3)}}, kRequest).empty());
}

TEST(PartNumbersTest, APartMissingInTheMiddleIsLostAndNamedByTheNextOnesPreviousKey) {
  const std::vector<AuditedPart> parts = {part("i-a", 1), part("i-a", 2), part("i-a", 4)};
  const std::vector<Finding> lost = find_lost_parts(parts, {}, kRequest);
  EXPECT_EQ(reasons(lost), (std::vector<std::string>{"part number 3 of instance i-a symbol BTCUSDT is not in the store"}));
  EXPECT_EQ(lost[0].key, key_of("i-a", kT0 + 15000));
}

TEST(PartNumbersTest, TheFirstPartIsLostWhenTheSecondNamesItInsideTheRange) {
  const std::vector<Finding> lost = find_lost_parts({part("i-a", 2), part("i-a", 3)}, {}, kRequest);
  EXPECT_EQ(reasons(lost), (std::vector<std::string>{"part number 1 of instance i-a symbol BTCUSDT is not in the store"}));
  // Before the range it is not the audit's business.
  AuditRequest later = kRequest;
  later.from_ms = kT0 + 60'000;
  EXPECT_TRUE(find_lost_parts({part("i-a", 12), part("i-a", 13)}, {}, later).empty());
}

TEST(PartNumbersTest, TheLastPartsBeforeTheHeadAreLost) {
  const std::vector<Finding> lost = find_lost_parts({part("i-a", 1), part("i-a", 2)}, {{"i-a", head_of("i-a", 4)}}, kRequest);
  EXPECT_EQ(reasons(lost), (std::vector<std::string>{"part number 3 of instance i-a symbol BTCUSDT is not in the store",
                                                      "part number 4 of instance i-a symbol BTCUSDT is not in the store"}));
  EXPECT_EQ(lost[1].key, key_of("i-a", kT0 + 20000));
  EXPECT_EQ(lost[0].key, "i-a/BTCUSDT#3");
}

TEST(PartNumbersTest, AHeadWhosePartLiesAfterTheRangeProvesNothingInIt) {
  AuditRequest early = kRequest;
  early.to_ms = kT0 + 60'000;
  Head head = head_of("i-a", 2);
  head.writers[0].part_key = key_of("i-a", kT0 + 7'200'000);
  head.writers[0].part_number = 900;
  EXPECT_TRUE(find_lost_parts({part("i-a", 1), part("i-a", 2)}, {{"i-a", head}}, early).empty());
}

TEST(PartNumbersTest, InstancesAreJudgedEachOnItsOwnNumbers) {
  const std::vector<AuditedPart> parts = {part("i-a", 1), part("i-a", 2), part("i-b", 1), part("i-b", 3)};
  EXPECT_EQ(reasons(find_lost_parts(parts, {}, kRequest)),
            (std::vector<std::string>{"part number 2 of instance i-b symbol BTCUSDT is not in the store"}));
}

TEST(HeadObjectTest, RoundTripsAndRefusesDamage) {
  const Head head = head_of("i-a", 7);
  Result<Head> parsed = parse_head(render_head(head));
  ASSERT_TRUE(parsed) << parsed.status().message();
  EXPECT_EQ(*parsed, head);
  EXPECT_FALSE(parse_head("{}"));
  EXPECT_FALSE(parse_head(R"({"version":"1","instance_id":"i","created_at_ms":1,"writers":[{"part_number":0}]})"));
  std::string instance;
  std::int64_t epoch_ms = 0;
  ASSERT_TRUE(parse_head_key("raw/", head_key("raw/", "i-a", 1764046800123), instance, epoch_ms));
  EXPECT_EQ(instance, "i-a");
  EXPECT_EQ(epoch_ms, 1764046800123);
  EXPECT_FALSE(parse_head_key("raw/", "raw/_collector/heads/i-a/x.json", instance, epoch_ms));
  EXPECT_FALSE(parse_head_key("raw/", "raw/_collector/startup/i-a/1764046800123.json", instance, epoch_ms));
}

}  // namespace
}  // namespace mc
