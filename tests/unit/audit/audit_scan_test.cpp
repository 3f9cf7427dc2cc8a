#include "audit/audit_scan.hpp"

#include <filesystem>
#include <functional>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "audit_store_builder.hpp"
#include "common/file_util.hpp"
#include "support/temp_dir.hpp"

namespace mc {
namespace {

using testing::AuditStoreBuilder;
using testing::id_run;
using testing::kBaseMs;

class AuditScanTest : public ::testing::Test {
 protected:
  AuditRequest request() const {
    return {.prefix = "raw/", .symbols = {"BTCUSDT"}, .from_ms = kBaseMs, .to_ms = kBaseMs + 3'600'000};
  }
  ScanResult scan() {
    const LocalStoreReader reader(dir_.path());
    Result<ScanResult> result = scan_store(reader, request());
    EXPECT_TRUE(result.is_ok()) << result.status().message();
    return result.is_ok() ? std::move(result).value() : ScanResult{};
  }

  testing::TempDir dir_;
  AuditStoreBuilder builder_{dir_.path()};
};

TEST_F(AuditScanTest, PairsPartsWithManifestsAndReadsTheirIdRanges) {
  builder_.add_part("i-a", kBaseMs + 1000, id_run(1, 10));
  builder_.add_part("i-a", kBaseMs + 61'000, id_run(11, 20));
  builder_.add_part("i-b", kBaseMs + 2000, {1, 2, 5, 6});  // manifest lists the gap 3-4
  const ScanResult result = scan();
  EXPECT_TRUE(result.findings.empty());
  ASSERT_EQ(result.parts.size(), 3u);
  EXPECT_EQ(result.parts[0].instance_id, "i-a");
  EXPECT_EQ(result.parts[0].manifest.ids, (IdSet{{1, 10}}));
  EXPECT_EQ(result.parts[2].instance_id, "i-b");
  EXPECT_EQ(result.parts[2].manifest.ids, (IdSet{{1, 2}, {5, 6}}));
}

TEST_F(AuditScanTest, OnlyMinutesInRangeAreListed) {
  builder_.add_part("i-a", kBaseMs - 60'000, id_run(1, 10));         // the minute before
  builder_.add_part("i-a", kBaseMs + 3'600'000, id_run(11, 20));     // the minute after
  builder_.add_part("i-a", kBaseMs + 30'000, id_run(21, 30));        // inside
  const ScanResult result = scan();
  ASSERT_EQ(result.parts.size(), 1u);
  EXPECT_EQ(result.parts[0].manifest.id_first, std::optional<std::int64_t>{21});
}

TEST_F(AuditScanTest, OrphansBothWays) {
  const PartName lost = builder_.add_part("i-a", kBaseMs + 1000, id_run(1, 10));
  const PartName unfinished = builder_.add_part("i-a", kBaseMs + 2000, id_run(11, 20));
  std::filesystem::remove(builder_.path_of(lost.part_key()));
  std::filesystem::remove(builder_.path_of(unfinished.manifest_key()));
  const ScanResult result = scan();
  EXPECT_TRUE(result.parts.empty());
  ASSERT_EQ(result.findings.size(), 2u);
  EXPECT_EQ(result.findings[0].kind, FindingKind::kOrphanManifest);
  EXPECT_EQ(result.findings[0].key, lost.manifest_key());
  EXPECT_EQ(result.findings[1].kind, FindingKind::kOrphanPart);
  EXPECT_EQ(result.findings[1].key, unfinished.part_key());
}

TEST_F(AuditScanTest, KeyInTheWrongMinuteFolderIsNamed) {
  const PartName name = builder_.add_part("i-a", kBaseMs + 1000, id_run(1, 10));
  std::string moved = name.part_key();
  moved.replace(moved.find("/05/00/"), 7, "/05/07/");
  std::filesystem::create_directories(builder_.path_of(moved).parent_path());
  std::filesystem::rename(builder_.path_of(name.part_key()), builder_.path_of(moved));
  const ScanResult result = scan();
  ASSERT_EQ(result.findings.size(), 2u);
  // The manifest lost its part; the part is where its name says it is not.
  EXPECT_EQ(result.findings[0].kind, FindingKind::kBadKey);
  EXPECT_EQ(result.findings[0].key, moved);
  EXPECT_NE(result.findings[0].reason.find("folder does not match epoch_ms"), std::string::npos);
  EXPECT_EQ(result.findings[1].kind, FindingKind::kOrphanManifest);
}

TEST_F(AuditScanTest, StrangeNamesAndInstanceIdsAreBadKeys) {
  const std::string day = "raw/exchange=binance/stream=trade/symbol=BTCUSDT/dt=2026-11-25/";
  builder_.put(day + "05/00/notes.txt", "x");
  builder_.put(day + "05/00/part-i!a-1795582801000.jsonl.gz", "x");
  builder_.put(day + "05/stray.json", "x");
  const ScanResult result = scan();
  ASSERT_EQ(result.findings.size(), 3u);
  for (const Finding& finding : result.findings) EXPECT_EQ(finding.kind, FindingKind::kBadKey) << finding.key;
  EXPECT_NE(result.findings[1].reason.find("instance id"), std::string::npos) << result.findings[1].reason;
}

TEST_F(AuditScanTest, AFolderIsListedOnlyWhenTheRangeHoldsAllOfIt) {
  const std::string day = "raw/exchange=binance/stream=trade/symbol=BTCUSDT/dt=2026-11-25/";
  builder_.put(day + "stray.json", "x");     // in the day folder, not in an hour's
  builder_.put(day + "05/stray.json", "x");  // in hour 05's folder, not in a minute's
  builder_.add_part("i-a", kBaseMs + 1000, id_run(1, 10));
  const LocalStoreReader reader(dir_.path());
  const auto bad_keys = [&reader, &day](std::int64_t from_ms, std::int64_t to_ms) {
    AuditRequest request{.prefix = "raw/", .symbols = {"BTCUSDT"}, .from_ms = from_ms, .to_ms = to_ms};
    Result<ScanResult> result = scan_store(reader, request);
    EXPECT_TRUE(result.is_ok()) << result.status().message();
    std::vector<std::string> keys;
    if (!result) return keys;
    EXPECT_EQ(result->parts.size(), 1u);
    for (const Finding& finding : result->findings) keys.push_back(finding.key.substr(day.size()));
    return keys;
  };
  const std::int64_t midnight = kBaseMs - 5 * 3'600'000;
  EXPECT_EQ(bad_keys(midnight, midnight + 86'400'000), (std::vector<std::string>{"05/stray.json", "stray.json"}));
  EXPECT_EQ(bad_keys(kBaseMs, kBaseMs + 3'600'000), (std::vector<std::string>{"05/stray.json"}));
  EXPECT_EQ(bad_keys(kBaseMs, kBaseMs + 60'000), (std::vector<std::string>{}));
}

TEST(CheckManifestTest, RefusesMissingOrContradictoryFields) {
  testing::TempDir dir;
  AuditStoreBuilder builder(dir.path());
  const PartName name = builder.add_part("i-a", kBaseMs + 1000, id_run(1, 10));
  Result<std::string> text = read_file(builder.path_of(name.manifest_key()));
  ASSERT_TRUE(text.is_ok());
  const std::uint64_t size = std::filesystem::file_size(builder.path_of(name.part_key()));
  ASSERT_TRUE(check_manifest(*text, name.part_key(), "BTCUSDT", "i-a", size).is_ok());

  const auto broken = [&](const std::function<void(nlohmann::json&)>& change) {
    nlohmann::json manifest = nlohmann::json::parse(*text);
    change(manifest);
    Result<ManifestFacts> facts = check_manifest(manifest.dump(), name.part_key(), "BTCUSDT", "i-a", size);
    return facts.is_ok() ? std::string("ok") : facts.status().message();
  };
  EXPECT_EQ(broken([](nlohmann::json& m) { m["version"] = "2"; }), R"(manifest.version is "2", expected "1")");
  EXPECT_EQ(broken([](nlohmann::json& m) { m["source"]["symbol"] = "ETHUSDT"; }),
            R"(source.symbol is "ETHUSDT", expected "BTCUSDT")");
  EXPECT_NE(broken([](nlohmann::json& m) { m["payload"]["s3_key"] = "raw/other"; }).find("payload.s3_key"),
            std::string::npos);
  EXPECT_EQ(broken([](nlohmann::json& m) { m["payload"]["record_count"] = 0; }),
            "payload.record_count is 0, expected > 0");
  EXPECT_EQ(broken([](nlohmann::json& m) { m["payload"]["id_first"] = "1"; }),
            "payload.id_first is not an integer nor null");
  EXPECT_EQ(broken([](nlohmann::json& m) { m["payload"]["id_first"] = nullptr; }),
            "payload's time or id range is half null");
  EXPECT_EQ(broken([](nlohmann::json& m) {
              for (const char* field : {"id_first", "id_last", "time_min_ms", "time_max_ms"}) m["payload"][field] = nullptr;
            }),
            "ok");  // a part none of whose lines parse: valid, covers no id
  EXPECT_EQ(broken([](nlohmann::json& m) { m["payload"].erase("sha256"); }), "payload.sha256 is missing");
  EXPECT_EQ(broken([](nlohmann::json& m) { m["payload"]["id_first"] = 11; }), "payload.id_first 11 > id_last 10");
  EXPECT_NE(broken([](nlohmann::json& m) { m["payload"]["bytes_gzip"] = 1; }).find("but the part is"),
            std::string::npos);
  EXPECT_EQ(broken([](nlohmann::json& m) { m["payload"]["sha256"] = "ABC"; }),
            "payload.sha256 is not 64 lower-case hex digits");
  EXPECT_EQ(check_manifest("{not json", name.part_key(), "BTCUSDT", "i-a", size).status().message(),
            "not a JSON object");
}

}  // namespace
}  // namespace mc
