#include "spool/manifest.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <vector>

#include "unit/spool/spool_files.hpp"

namespace mc {
namespace {

using Json = nlohmann::ordered_json;

std::vector<std::string> keys_of(const Json& object) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : object.items()) keys.push_back(key);
  return keys;
}

ManifestInput data_input() {
  PartStats stats;
  stats.record_count = 3;
  stats.bytes = 600;
  stats.trimmed_bytes = 17;
  stats.bad_lines = 1;
  stats.time_min_ms = 1739141034500;
  stats.time_max_ms = 1739141034900;
  stats.id_first = 100;
  stats.id_last = 110;
  stats.recv_min_us = 1739141034567123;
  stats.recv_max_us = 1739141034967123;
  stats.id_gaps = {{101, 104}, {106, 109}};
  return {testing::part_name(), stats, 321, std::string(64, 'a'), 1739141040000, 6};
}

TEST(ManifestTest, HasTheSeedFieldsInOrderAndExtrasApart) {
  const std::string text = render_manifest(data_input());
  ASSERT_TRUE(text.ends_with("\n"));
  const Json manifest = Json::parse(text);

  EXPECT_EQ(keys_of(manifest), (std::vector<std::string>{"version", "source", "payload", "created_at_ms", "extra"}));
  EXPECT_EQ(manifest["version"], "1");
  EXPECT_EQ(manifest["source"], Json::parse(R"({"exchange":"binance","stream":"trade","symbol":"BTCUSDT","instance_id":"i-0abc"})"));
  EXPECT_EQ(keys_of(manifest["payload"]),
            (std::vector<std::string>{"s3_key", "record_count", "bytes_uncompressed", "bytes_gzip", "time_min_ms",
                                      "time_max_ms", "id_first", "id_last", "sha256"}));
  const Json& payload = manifest["payload"];
  EXPECT_EQ(payload["s3_key"], testing::part_name().part_key());
  EXPECT_EQ(payload["record_count"], 3);
  EXPECT_EQ(payload["bytes_uncompressed"], 600);
  EXPECT_EQ(payload["bytes_gzip"], 321);
  EXPECT_EQ(payload["time_min_ms"], 1739141034500);
  EXPECT_EQ(payload["time_max_ms"], 1739141034900);
  EXPECT_EQ(payload["id_first"], 100);
  EXPECT_EQ(payload["id_last"], 110);
  EXPECT_EQ(payload["sha256"], std::string(64, 'a'));
  EXPECT_EQ(manifest["created_at_ms"], 1739141040000);

  const Json& extra = manifest["extra"];
  EXPECT_EQ(extra["kind"], "data");
  EXPECT_EQ(extra["recv_min_us"], 1739141034567123);
  EXPECT_EQ(extra["recv_max_us"], 1739141034967123);
  EXPECT_EQ(extra["id_gaps"], Json::parse("[[101,104],[106,109]]"));
  EXPECT_EQ(extra["id_gaps_truncated"], false);
  EXPECT_EQ(extra["bad_lines"], 1);
  EXPECT_EQ(extra["trimmed_bytes"], 17);
  EXPECT_EQ(extra["collector_version"], MC_VERSION);
  EXPECT_EQ(extra["gzip_level"], 6);
  EXPECT_EQ(extra["feed_gaps"], Json::array());
  EXPECT_EQ(extra["unrecoverable_gaps"], Json::array());
  EXPECT_EQ(extra["noted_ranges_not_listed"], 0);
}

TEST(ManifestTest, CarriesTheFeedsNotesOnGaps) {
  ManifestInput input = data_input();
  input.notes.add_gap_seen({101, 104});
  input.notes.add_gap_seen({200, 200});
  input.notes.add_unrecoverable({50, 52});
  const Json extra = Json::parse(render_manifest(input))["extra"];
  EXPECT_EQ(extra["feed_gaps"], Json::parse("[[101,104],[200,200]]"));
  EXPECT_EQ(extra["unrecoverable_gaps"], Json::parse("[[50,52]]"));
  EXPECT_EQ(extra["noted_ranges_not_listed"], 0);
}

TEST(ManifestTest, NotesBeyondTheListBoundAreCounted) {
  ManifestInput input = data_input();
  for (std::int64_t i = 0; i < static_cast<std::int64_t>(kMaxNotedRanges) + 5; ++i) input.notes.add_gap_seen({2 * i, 2 * i});
  const Json extra = Json::parse(render_manifest(input))["extra"];
  EXPECT_EQ(extra["feed_gaps"].size(), kMaxNotedRanges);
  EXPECT_EQ(extra["noted_ranges_not_listed"], 5);
}

TEST(ManifestTest, QuarantineHasNullTimesAndIds) {
  ManifestInput input = data_input();
  input.name.kind = PartKind::kQuarantine;
  input.stats.time_min_ms.reset();
  input.stats.time_max_ms.reset();
  input.stats.id_first.reset();
  input.stats.id_last.reset();
  input.stats.id_gaps.clear();
  const Json manifest = Json::parse(render_manifest(input));
  for (const char* field : {"time_min_ms", "time_max_ms", "id_first", "id_last"}) {
    ASSERT_TRUE(manifest["payload"].contains(field)) << field;
    EXPECT_TRUE(manifest["payload"][field].is_null()) << field;
  }
  EXPECT_EQ(manifest["extra"]["kind"], "quarantine");
  EXPECT_EQ(manifest["extra"]["id_gaps"], Json::array());
  EXPECT_TRUE(manifest["payload"]["s3_key"].get<std::string>().starts_with("raw/_quarantine/exchange=binance/"));
}

}  // namespace
}  // namespace mc
