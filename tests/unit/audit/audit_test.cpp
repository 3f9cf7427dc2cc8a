#include "audit/audit.hpp"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "audit_store_builder.hpp"
#include "common/file_util.hpp"
#include "support/temp_dir.hpp"

namespace mc {
namespace {

using testing::AuditStoreBuilder;
using testing::concat;
using testing::id_run;
using testing::kBaseMs;

class AuditTest : public ::testing::Test {
 protected:
  AuditReport audit(bool deep) {
    const LocalStoreReader reader(dir_.path());
    Result<AuditReport> report = run_audit(
        reader, {.prefix = "raw/", .symbols = {"BTCUSDT"}, .from_ms = kBaseMs, .to_ms = kBaseMs + 600'000, .deep = deep});
    EXPECT_TRUE(report.is_ok()) << report.status().message();
    return report.is_ok() ? std::move(report).value() : AuditReport{};
  }

  // Three instances over ids 1-300; "i-b" missed 101-150, which the others hold.
  void three_instances() {
    for (const std::string instance : {"i-a", "i-b", "i-c"}) {
      builder_.add_part(instance, kBaseMs + 1000, id_run(1, 100));
      if (instance != "i-b") builder_.add_part(instance, kBaseMs + 6000, id_run(101, 200));
      if (instance == "i-b") builder_.add_part(instance, kBaseMs + 6000, id_run(151, 200));
      part_c_ = builder_.add_part(instance, kBaseMs + 61'000, id_run(201, 300));
    }
  }

  void flip_byte(const std::string& key, std::size_t offset) {
    std::fstream file(builder_.path_of(key), std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(static_cast<std::streamoff>(offset));
    char c = 0;
    file.get(c);
    file.seekp(static_cast<std::streamoff>(offset));
    file.put(static_cast<char>(c ^ 0x40));
  }

  testing::TempDir dir_;
  AuditStoreBuilder builder_{dir_.path()};
  PartName part_c_;
};

const Finding* find(const AuditReport& report, FindingKind kind) {
  for (const Finding& finding : report.findings) {
    if (finding.kind == kind) return &finding;
  }
  return nullptr;
}

TEST_F(AuditTest, ThreeInstancesOneWithAHoleUnionCompleteIsClean) {
  three_instances();
  for (const bool deep : {false, true}) {
    const AuditReport report = audit(deep);
    ASSERT_EQ(report.symbols.size(), 1u);
    const SymbolReport& symbol = report.symbols[0];
    EXPECT_EQ(symbol.ids, (IdSet{{1, 300}})) << deep;
    EXPECT_TRUE(symbol.missing().empty());
    EXPECT_EQ(symbol.parts, 9u);
    EXPECT_EQ(symbol.copies, 850u);  // 300 + 250 + 300
    EXPECT_NEAR(symbol.duplicates_ratio(), 850.0 / 300.0, 1e-9);
    ASSERT_EQ(symbol.instances.size(), 3u);
    EXPECT_EQ(symbol.instances.at("i-b").ids, (IdSet{{1, 100}, {151, 300}}));
    EXPECT_EQ(symbol.instances.at("i-a").ids, (IdSet{{1, 300}}));
    EXPECT_TRUE(report.findings.empty());
    EXPECT_EQ(report.exit_code(), 0);
  }
}

TEST_F(AuditTest, IdsNoInstanceHoldsAreMissingFromTheUnion) {
  builder_.add_part("i-a", kBaseMs + 1000, id_run(1, 100));
  builder_.add_part("i-a", kBaseMs + 6000, id_run(121, 200));
  builder_.add_part("i-b", kBaseMs + 1000, id_run(1, 110));
  builder_.add_part("i-b", kBaseMs + 6000, id_run(131, 200));
  const AuditReport report = audit(false);
  EXPECT_EQ(report.symbols[0].missing(), (IdSet{{111, 120}}));
  EXPECT_EQ(report.exit_code(), 1);

  const nlohmann::json json = nlohmann::json::parse(render_json(report));
  EXPECT_EQ(json["exit_code"], 1);
  EXPECT_EQ(json["mode"], "shallow");
  const nlohmann::json& symbol = json["symbols"][0];
  EXPECT_EQ(symbol["first_id"], 1);
  EXPECT_EQ(symbol["last_id"], 200);
  EXPECT_EQ(symbol["missing_count"], 10);
  EXPECT_EQ(symbol["missing"], nlohmann::json::parse("[[111,120]]"));
  EXPECT_EQ(symbol["instances"][0]["instance_id"], "i-a");
  EXPECT_EQ(symbol["instances"][0]["missing"], nlohmann::json::parse("[[101,120]]"));
  EXPECT_EQ(symbol["instances"][1]["missing"], nlohmann::json::parse("[[111,130]]"));
  EXPECT_NE(render_table(report).find("missing: 111-120"), std::string::npos) << render_table(report);
}

TEST_F(AuditTest, DeclaredGapsAreReportedFilledOrOpenAndIdsTheExchangeDisownsAreNotMissing) {
  PartNotes gaps;
  gaps.add_gap_seen({101, 150});
  gaps.add_gap_seen({201, 210});
  builder_.add_part("i-a", kBaseMs + 1000, id_run(1, 100));
  builder_.add_part("i-a", kBaseMs + 6000, id_run(151, 200), "BTCUSDT", gaps);
  PartNotes disowned;
  disowned.add_unrecoverable({201, 205});
  builder_.add_part("i-a", kBaseMs + 11000, concat(id_run(211, 250), id_run(101, 150)), "BTCUSDT", disowned);
  for (const bool deep : {false, true}) {
    const AuditReport report = audit(deep);
    const SymbolReport& symbol = report.symbols[0];
    EXPECT_EQ(symbol.declared_gaps, (IdSet{{101, 150}, {201, 210}})) << deep;
    EXPECT_EQ(symbol.unrecoverable, (IdSet{{201, 205}}));
    EXPECT_EQ(symbol.declared_open(), (IdSet{{206, 210}}));
    EXPECT_EQ(symbol.missing(), (IdSet{{206, 210}}));  // 201-205 do not exist: not missing
    EXPECT_EQ(report.exit_code(), 1);
    const nlohmann::json json = nlohmann::json::parse(render_json(report))["symbols"][0];
    EXPECT_EQ(json["declared_gaps_count"], 60);
    EXPECT_EQ(json["declared_gaps_filled"], 50);
    EXPECT_EQ(json["declared_gaps_open"], nlohmann::json::parse("[[206,210]]"));
    EXPECT_EQ(json["unrecoverable"], nlohmann::json::parse("[[201,205]]"));
    EXPECT_NE(render_table(report).find("gaps declared by the collectors: 60 ids, 50 filled, 5 open: 206-210, 5 not on "
                                        "the exchange: 201-205"),
              std::string::npos)
        << render_table(report);
  }
}

TEST_F(AuditTest, DeepSeesHolesInsideAPartThatOnlyTheManifestRangeHides) {
  builder_.add_part("i-a", kBaseMs + 1000, {1, 2, 3, 7, 8, 9, 4});  // 5-6 never arrived; 4 came late (REST)
  const AuditReport deep = audit(true);
  EXPECT_EQ(deep.symbols[0].ids, (IdSet{{1, 4}, {7, 9}}));
  EXPECT_EQ(deep.symbols[0].missing(), (IdSet{{5, 6}}));
  EXPECT_EQ(deep.exit_code(), 1);
}

TEST_F(AuditTest, FlippedByteIsAShaMismatchInDeepModeOnly) {
  three_instances();
  flip_byte(part_c_.part_key(), 30);
  EXPECT_EQ(audit(false).exit_code(), 0);  // same size, manifest intact: a listing cannot tell
  const AuditReport report = audit(true);
  const Finding* finding = find(report, FindingKind::kShaMismatch);
  ASSERT_NE(finding, nullptr);
  EXPECT_EQ(finding->key, part_c_.part_key());
  EXPECT_EQ(report.findings.size(), 1u);
  EXPECT_TRUE(report.symbols[0].missing().empty());  // the other instances hold 201-300
  EXPECT_EQ(report.symbols[0].instances.at("i-c").ids, (IdSet{{1, 200}}));
  EXPECT_EQ(report.exit_code(), 1);
  EXPECT_NE(render_table(report).find("sha256_mismatch"), std::string::npos);
}

TEST_F(AuditTest, DeletedPartAndDeletedManifestAreOrphans) {
  three_instances();
  const PartName other = builder_.add_part("i-d", kBaseMs + 2000, id_run(1, 5));
  std::filesystem::remove(builder_.path_of(part_c_.part_key()));
  std::filesystem::remove(builder_.path_of(other.manifest_key()));
  const AuditReport report = audit(true);
  const Finding* orphan_manifest = find(report, FindingKind::kOrphanManifest);
  const Finding* orphan_part = find(report, FindingKind::kOrphanPart);
  ASSERT_NE(orphan_manifest, nullptr);
  ASSERT_NE(orphan_part, nullptr);
  EXPECT_EQ(orphan_manifest->key, part_c_.manifest_key());
  EXPECT_EQ(orphan_part->key, other.part_key());
  EXPECT_EQ(report.exit_code(), 1);
}

TEST_F(AuditTest, ManifestWithAWrongIdRangeIsAStatsMismatch) {
  const PartName name = builder_.add_part("i-a", kBaseMs + 1000, id_run(1, 100));
  Result<std::string> text = read_file(builder_.path_of(name.manifest_key()));
  ASSERT_TRUE(text.is_ok());
  nlohmann::json manifest = nlohmann::json::parse(*text);
  manifest["payload"]["id_last"] = 150;
  builder_.put(name.manifest_key(), manifest.dump());

  const AuditReport shallow = audit(false);
  EXPECT_EQ(shallow.symbols[0].ids, (IdSet{{1, 150}}));  // what the manifest claims
  const AuditReport deep = audit(true);
  const Finding* finding = find(deep, FindingKind::kStatsMismatch);
  ASSERT_NE(finding, nullptr);
  EXPECT_EQ(finding->key, name.part_key());
  EXPECT_NE(finding->reason.find("id_last 150 != 100"), std::string::npos) << finding->reason;
  EXPECT_EQ(deep.exit_code(), 1);
}

TEST_F(AuditTest, KeyInAWrongMinuteFolderFailsTheAudit) {
  builder_.put("raw/exchange=binance/stream=trade/symbol=BTCUSDT/dt=2026-11-25/05/03/manifest-i-a-1795582801000.json",
               "{}");
  const AuditReport report = audit(false);
  const Finding* finding = find(report, FindingKind::kBadKey);
  ASSERT_NE(finding, nullptr);
  EXPECT_NE(finding->reason.find("dt=2026-11-25/05/00/"), std::string::npos) << finding->reason;
  EXPECT_EQ(report.exit_code(), 1);
}

// Nothing contradicts itself in an empty store, yet nothing vouches for a single trade either.
TEST_F(AuditTest, AnEmptyStoreIsNotClean) {
  const AuditReport report = audit(true);
  EXPECT_EQ(report.exit_code(), 1);
  ASSERT_NE(find(report, FindingKind::kEmptyStore), nullptr);
  ASSERT_NE(find(report, FindingKind::kNoData), nullptr);
  EXPECT_EQ(find(report, FindingKind::kNoData)->key, "BTCUSDT");
  const nlohmann::json json = nlohmann::json::parse(render_json(report));
  EXPECT_TRUE(json["symbols"][0]["first_id"].is_null());
  EXPECT_EQ(json["symbols"][0]["parts"], 0);
}

TEST_F(AuditTest, AStoreRootThatDoesNotExistIsNotClean) {
  const LocalStoreReader reader(dir_.path() / "no-such-root");
  Result<AuditReport> report =
      run_audit(reader, {.prefix = "raw/", .symbols = {"BTCUSDT"}, .from_ms = kBaseMs, .to_ms = kBaseMs + 600'000});
  ASSERT_TRUE(report.is_ok()) << report.status().message();
  EXPECT_EQ(report->exit_code(), 1);
  EXPECT_NE(find(*report, FindingKind::kEmptyStore), nullptr);
}

}  // namespace
}  // namespace mc
