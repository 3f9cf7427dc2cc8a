#include "spool/spool_recovery.hpp"

#include <gtest/gtest.h>

#include "common/file_util.hpp"
#include "common/sha256.hpp"
#include "spool/rejected.hpp"
#include "spool/sealer.hpp"
#include "support/fake_clock.hpp"
#include "support/temp_dir.hpp"
#include "unit/spool/spool_files.hpp"

namespace mc {
namespace {

using testing::part_name;
using testing::read_text;
using testing::trade_line;
using testing::write_text;

class SpoolRecoveryTest : public testing::SpoolTest {
 protected:
  SealedPart make_sealed(const PartName& name, bool part, bool manifest) {
    const SealedPart sealed = layout.sealed(name);
    if (part) write_text(sealed.part_file, "gzip bytes");
    if (manifest) write_text(sealed.manifest_file, "{}");
    return sealed;
  }

  RecoveryPlan recover() {
    Result<RecoveryPlan> plan = recover_spool(layout);
    EXPECT_TRUE(plan) << plan.status().message();
    return plan ? std::move(plan).value() : RecoveryPlan{};
  }
};

TEST_F(SpoolRecoveryTest, CreatesAMissingSpool) {
  const SpoolLayout fresh(dir.path() / "fresh");
  Result<RecoveryPlan> plan = recover_spool(fresh);
  ASSERT_TRUE(plan);
  EXPECT_TRUE(plan->open_files.empty());
  EXPECT_TRUE(plan->sealed_parts.empty());
  EXPECT_TRUE(std::filesystem::is_directory(fresh.open_dir()));
  EXPECT_TRUE(std::filesystem::is_directory(fresh.sealed_dir()));
}

TEST_F(SpoolRecoveryTest, RemovesInterruptedWrites) {
  const PartName name = part_name();
  const std::filesystem::path open_tmp = layout.open_dir() / (spool_file_name(name.open_key()) + ".tmp");
  const std::filesystem::path part_tmp = layout.sealed(name).part_file.string() + ".tmp";
  const std::filesystem::path manifest_tmp = layout.sealed(name).manifest_file.string() + ".tmp";
  for (const auto& path : {open_tmp, part_tmp, manifest_tmp}) write_text(path, "half");

  const RecoveryPlan plan = recover();
  EXPECT_EQ(plan.counts.temp_removed, 3u);
  for (const auto& path : {open_tmp, part_tmp, manifest_tmp}) EXPECT_FALSE(std::filesystem::exists(path)) << path;
  EXPECT_TRUE(plan.open_files.empty());
  EXPECT_TRUE(plan.sealed_parts.empty());
  EXPECT_EQ(plan.counts.rejected, 0u);
}

TEST_F(SpoolRecoveryTest, ListsOpenFilesOldestFirst) {
  const auto newest = make_open(part_name(1739141036000));
  const auto oldest = make_open(part_name(1739141034000, PartKind::kData, "ETHUSDT"));
  const auto middle = make_open(part_name(1739141035000, PartKind::kQuarantine));
  const RecoveryPlan plan = recover();
  EXPECT_EQ(plan.open_files, (std::vector<std::filesystem::path>{oldest, middle, newest}));
  EXPECT_EQ(plan.counts.open_files, 3u);
  EXPECT_TRUE(std::filesystem::exists(oldest));
}

TEST_F(SpoolRecoveryTest, CompletePairsAreToBeUploadedOldestFirst) {
  const SealedPart later = make_sealed(part_name(1739141035000), true, true);
  const SealedPart earlier = make_sealed(part_name(1739141034000, PartKind::kQuarantine), true, true);
  const RecoveryPlan plan = recover();
  ASSERT_EQ(plan.sealed_parts.size(), 2u);
  EXPECT_EQ(plan.sealed_parts[0].name, earlier.name);
  EXPECT_EQ(plan.sealed_parts[0].part_file, earlier.part_file);
  EXPECT_EQ(plan.sealed_parts[0].manifest_file, earlier.manifest_file);
  EXPECT_EQ(plan.sealed_parts[1].name, later.name);
  EXPECT_EQ(plan.counts.sealed_parts, 2u);
  EXPECT_TRUE(std::filesystem::exists(later.part_file));
}

TEST_F(SpoolRecoveryTest, AManifestWithoutItsPartWasUploadedAndIsRemoved) {
  const SealedPart uploaded = make_sealed(part_name(), false, true);
  const RecoveryPlan plan = recover();
  EXPECT_FALSE(std::filesystem::exists(uploaded.manifest_file));
  EXPECT_EQ(plan.counts.uploaded_manifests_removed, 1u);
  EXPECT_TRUE(plan.sealed_parts.empty());
}

TEST_F(SpoolRecoveryTest, APartWithoutManifestIsResealedFromItsOpenFile) {
  const PartName name = part_name();
  const std::filesystem::path open = make_open(name);
  const SealedPart half = make_sealed(name, true, false);
  const RecoveryPlan plan = recover();
  EXPECT_EQ(plan.open_files, std::vector<std::filesystem::path>{open});
  EXPECT_TRUE(plan.sealed_parts.empty());
  EXPECT_TRUE(std::filesystem::exists(half.part_file));  // overwritten by the seal, never dropped
  EXPECT_EQ(plan.counts.rejected, 0u);
}

TEST_F(SpoolRecoveryTest, ACompletePairWhoseOpenFileRemainsIsResealedNotUploadedTwice) {
  const PartName name = part_name();
  const std::filesystem::path open = make_open(name);
  make_sealed(name, true, true);
  const RecoveryPlan plan = recover();
  EXPECT_EQ(plan.open_files, std::vector<std::filesystem::path>{open});
  EXPECT_TRUE(plan.sealed_parts.empty());
}

TEST_F(SpoolRecoveryTest, APartWithoutManifestNorOpenFileIsRejected) {
  const SealedPart orphan = make_sealed(part_name(), true, false);
  const RecoveryPlan plan = recover();
  EXPECT_FALSE(std::filesystem::exists(orphan.part_file));
  const std::filesystem::path kept = rejected_dir(layout) / orphan.part_file.filename();
  EXPECT_EQ(read_text(kept), "gzip bytes");
  EXPECT_EQ(plan.counts.rejected, 1u);
  EXPECT_TRUE(plan.sealed_parts.empty());
}

TEST_F(SpoolRecoveryTest, NamesItDidNotWriteAreRejected) {
  const PartName name = part_name();
  const std::vector<std::filesystem::path> strays{
      layout.open_dir() / "garbage",
      layout.open_dir() / spool_file_name(name.part_key()),      // a gzip part does not belong in open/
      layout.sealed_dir() / spool_file_name(name.open_key()),    // an open file does not belong in sealed/
      layout.sealed_dir() / "notes.txt",
  };
  for (const auto& path : strays) write_text(path, "x");
  // The same name twice in rejected/ keeps both.
  std::filesystem::create_directories(rejected_dir(layout));
  write_text(rejected_dir(layout) / "garbage", "earlier");

  const RecoveryPlan plan = recover();
  EXPECT_EQ(plan.counts.rejected, strays.size());
  for (const auto& path : strays) EXPECT_FALSE(std::filesystem::exists(path)) << path;
  EXPECT_EQ(read_text(rejected_dir(layout) / "garbage"), "earlier");
  EXPECT_EQ(read_text(rejected_dir(layout) / "garbage.1"), "x");
  EXPECT_TRUE(std::filesystem::exists(rejected_dir(layout) / "notes.txt"));
  EXPECT_TRUE(plan.open_files.empty());
  EXPECT_TRUE(plan.sealed_parts.empty());
}

// The sealer writes both temp files, renames the part, renames the manifest, fsyncs sealed/ once,
// then removes the open file. Whatever a crash (or a power loss that kept some of the renames and not
// others) leaves of that, recovery plus one seal ends with one complete pair and no open file.
TEST_F(SpoolRecoveryTest, EveryCrashPointOfASealEndsInOneCompletePair) {
  struct CrashPoint {
    const char* what;
    bool part_temp, manifest_temp, part, manifest;
  };
  const CrashPoint points[] = {
      {"both temp files written, nothing renamed", true, true, false, false},
      {"the part renamed, the manifest not", false, true, true, false},
      {"the manifest's rename kept, the part's lost", true, false, false, true},
      {"both renamed, the open file not yet removed", false, false, true, true},
  };
  const std::string lines = trade_line(10, 100, 1) + trade_line(11, 101, 2);
  for (const CrashPoint& point : points) {
    SCOPED_TRACE(point.what);
    const PartName name = part_name();
    const SealedPart sealed = layout.sealed(name);
    const std::filesystem::path open = make_open(name, lines);
    if (point.part_temp) write_text(temp_path_of(sealed.part_file), "half");
    if (point.manifest_temp) write_text(temp_path_of(sealed.manifest_file), "{}");
    make_sealed(name, point.part, point.manifest);

    const RecoveryPlan plan = recover();
    ASSERT_EQ(plan.open_files, std::vector<std::filesystem::path>{open});
    EXPECT_TRUE(plan.sealed_parts.empty()) << "nothing is uploaded before the open file is sealed again";
    EXPECT_EQ(plan.counts.rejected, 0u);
    testing::FakeClock clock;
    Result<std::optional<SealedPart>> resealed = Sealer(layout, 6, clock).seal(open);
    ASSERT_TRUE(resealed && resealed.value()) << resealed.status().message();

    const RecoveryPlan next = recover();
    ASSERT_EQ(next.sealed_parts.size(), 1u);
    EXPECT_TRUE(next.open_files.empty());
    EXPECT_EQ(next.counts.temp_removed, 0u);
    const std::string manifest = read_text(sealed.manifest_file);
    EXPECT_NE(manifest.find(sha256_hex(read_text(sealed.part_file)).value()), std::string::npos)
        << "the manifest describes the part next to it";
    std::filesystem::remove(sealed.part_file);
    std::filesystem::remove(sealed.manifest_file);
  }
}

TEST_F(SpoolRecoveryTest, AfterACrashMidSealTheSealerFinishesTheJob) {
  // kill -9 after the part was written, before its manifest: the open file and the part remain.
  const PartName name = part_name();
  const std::string lines = trade_line(10, 100, 1) + trade_line(11, 101, 2);
  const std::filesystem::path open = make_open(name, lines + R"({"recv_us":12,"str)");
  make_sealed(name, true, false);

  const RecoveryPlan plan = recover();
  ASSERT_EQ(plan.open_files.size(), 1u);
  testing::FakeClock clock;
  Result<std::optional<SealedPart>> sealed = Sealer(layout, 6, clock).seal(plan.open_files[0]);
  ASSERT_TRUE(sealed && sealed.value());
  EXPECT_FALSE(std::filesystem::exists(open));

  const RecoveryPlan next = recover();  // the next start sees one complete pair to upload
  ASSERT_EQ(next.sealed_parts.size(), 1u);
  EXPECT_EQ(next.sealed_parts[0].name, name);
  EXPECT_TRUE(next.open_files.empty());
}

}  // namespace
}  // namespace mc
