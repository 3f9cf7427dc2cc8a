#include "keys/part_name.hpp"

#include <gtest/gtest.h>

namespace mc {
namespace {

PartName sample() {
  return {"raw/", PartKind::kData, "trade", "BTCUSDT", "i-0abc", 1739141034567};
}

TEST(PartNameTest, KeysFollowTheLayout) {
  const PartName name = sample();  // 2025-02-09T22:43:54.567Z
  EXPECT_EQ(name.part_key(),
            "raw/exchange=binance/stream=trade/symbol=BTCUSDT/dt=2025-02-09/22/43/part-i-0abc-1739141034567.jsonl.gz");
  EXPECT_EQ(name.manifest_key(),
            "raw/exchange=binance/stream=trade/symbol=BTCUSDT/dt=2025-02-09/22/43/manifest-i-0abc-1739141034567.json");
  EXPECT_EQ(name.open_key(),
            "raw/exchange=binance/stream=trade/symbol=BTCUSDT/dt=2025-02-09/22/43/part-i-0abc-1739141034567.jsonl");
}

TEST(PartNameTest, QuarantineLivesUnderItsOwnFolderBelowThePrefix) {
  PartName name = sample();
  name.kind = PartKind::kQuarantine;
  EXPECT_TRUE(name.part_key().starts_with("raw/_quarantine/exchange=binance/stream=trade/"));
}

TEST(PartNameTest, EveryKeyParsesBack) {
  for (const PartKind kind : {PartKind::kData, PartKind::kQuarantine}) {
    for (const std::string prefix : {"raw/", "", "a/b/c/"}) {
      PartName name = sample();
      name.kind = kind;
      name.prefix = prefix;
      name.instance_id = "ip-10-0-0-1.ec2-internal";
      EXPECT_EQ(parse_part_key(name.part_key()), name);
      EXPECT_EQ(parse_part_key(name.manifest_key()), name);
      EXPECT_EQ(parse_part_key(name.open_key()), name);
    }
  }
}

TEST(PartNameTest, RejectsKeysItDidNotWrite) {
  EXPECT_FALSE(parse_part_key("raw/exchange=binance/stream=trade/symbol=BTCUSDT/part-a-1.jsonl.gz"));
  // folders that do not match epoch_ms
  EXPECT_FALSE(parse_part_key(
      "raw/exchange=binance/stream=trade/symbol=BTCUSDT/dt=2025-02-09/22/44/part-i-1739141034567.jsonl.gz"));
  EXPECT_FALSE(parse_part_key(
      "raw/exchange=binance/stream=trade/symbol=BTCUSDT/dt=2025-02-09/22/43/part-i-17391410x4567.jsonl.gz"));
  EXPECT_FALSE(parse_part_key(
      "raw/exchange=binance/stream=trade/symbol=BTCUSDT/dt=2025-02-09/22/43/other-i-1739141034567.jsonl.gz"));
}

TEST(SpoolFileNameTest, RoundTripsAndIsFlat) {
  const std::string key = "raw/x%y/part-a-1.jsonl";
  const std::string name = spool_file_name(key);
  EXPECT_EQ(name, "raw%2Fx%25y%2Fpart-a-1.jsonl");
  EXPECT_EQ(key_from_spool_file_name(name), key);
  EXPECT_FALSE(key_from_spool_file_name("a%2"));
  EXPECT_FALSE(key_from_spool_file_name("a%41"));
  EXPECT_FALSE(key_from_spool_file_name("a/b"));
}

}  // namespace
}  // namespace mc
