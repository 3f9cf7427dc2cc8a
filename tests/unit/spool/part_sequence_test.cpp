#include "spool/part_sequence.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <thread>

#include "common/file_util.hpp"
#include "spool/sealer.hpp"
#include "spool/stored_marks.hpp"
#include "support/eventually.hpp"
#include "support/fake_clock.hpp"
#include "unit/spool/spool_files.hpp"

namespace mc {
namespace {

using testing::part_name;
using testing::read_text;

PartNumber take(PartSequence& sequence, const PartName& name) {
  PartSequence::Lease lease = sequence.lease(name);
  PartNumber number = lease.number();
  lease.commit();
  return number;
}

TEST(PartSequenceTest, NumbersEachWritersPartsFromOneAndNamesThePreviousKey) {
  PartSequence sequence;
  const PartName a1 = part_name(1000), a2 = part_name(6000);
  PartName b1 = part_name(1000);
  b1.symbol = "ETHUSDT";
  EXPECT_EQ(take(sequence, a1), (PartNumber{1, ""}));
  EXPECT_EQ(take(sequence, b1), (PartNumber{1, ""}));
  EXPECT_EQ(take(sequence, a2), (PartNumber{2, a1.part_key()}));
  EXPECT_EQ(sequence.newest(a1.writer_key()), 2U);
}

TEST(PartSequenceTest, ALeaseNotCommittedTakesNoNumber) {
  PartSequence sequence;
  { PartSequence::Lease failed_seal = sequence.lease(part_name(1000)); }
  EXPECT_EQ(take(sequence, part_name(6000)), (PartNumber{1, ""}));
}

TEST(PartSequenceTest, SealingTheSamePartAgainKeepsItsNumber) {
  PartSequence sequence;
  take(sequence, part_name(1000));
  const PartNumber second = take(sequence, part_name(6000));
  EXPECT_EQ(take(sequence, part_name(6000)), second);
  EXPECT_EQ(take(sequence, part_name(11000)), (PartNumber{3, part_name(6000).part_key()}));
}

TEST(PartSequenceTest, OneWritersSealsWaitForEachOther) {
  PartSequence sequence;
  std::optional<PartSequence::Lease> first(sequence.lease(part_name(1000)));
  std::atomic<bool> asking{false};
  std::atomic<bool> first_released{false};
  std::atomic<bool> second_leased{false};
  std::jthread other([&] {
    asking = true;
    PartSequence::Lease second = sequence.lease(part_name(6000));
    // Committed is not enough: the seal holds the writer until its lease is gone.
    EXPECT_TRUE(first_released.load());
    second_leased = true;
    EXPECT_EQ(second.number().number, 2U);
    second.commit();
  });
  first->commit();
  ASSERT_TRUE(testing::eventually([&] { return asking.load(); }));
  first_released = true;
  first.reset();
  other.join();
  EXPECT_TRUE(second_leased.load());
}

class PartSequenceRestoreTest : public testing::SpoolTest {
 protected:
  testing::FakeClock clock{1'739'141'040'123'456};
};

TEST_F(PartSequenceRestoreTest, ContinuesFromTheSealedManifestsAndTheStoredMarks) {
  // Run 1 seals three parts of BTCUSDT; the first two leave the spool (stored), the third waits.
  {
    PartSequence sequence;
    Sealer sealer(layout, 1, clock, &sequence);
    for (const std::int64_t epoch : {1000, 6000, 11000}) {
      Result<std::optional<SealedPart>> sealed = sealer.seal(make_open(part_name(epoch)));
      ASSERT_TRUE(sealed && *sealed);
      if (epoch == 11000) continue;
      const std::string manifest = read_text((*sealed)->manifest_file);
      const StoredPart stored[] = {{&**sealed, manifest}};
      ASSERT_TRUE(raise_stored_marks(stored).front());
      ASSERT_TRUE(remove_file((*sealed)->part_file));
      ASSERT_TRUE(remove_file((*sealed)->manifest_file));
    }
  }
  const std::optional<StoredMark> mark = read_stored_mark_file(layout.stored_mark(part_name(1000)));
  ASSERT_TRUE(mark);
  EXPECT_EQ(*mark, (StoredMark{.epoch_ms = 6000, .part_number = 2, .part_key = part_name(6000).part_key()}));

  PartSequence restored;
  ASSERT_TRUE(restored.restore(layout));
  EXPECT_EQ(restored.newest(part_name(1000).writer_key()), 3U);
  Sealer sealer(layout, 1, clock, &restored);
  Result<std::optional<SealedPart>> next = sealer.seal(make_open(part_name(16000)));
  ASSERT_TRUE(next && *next);
  const nlohmann::json manifest = nlohmann::json::parse(read_text((*next)->manifest_file));
  EXPECT_EQ(manifest["extra"]["part_number"], 4);
  EXPECT_EQ(manifest["extra"]["previous_part_key"], part_name(11000).part_key());
}

TEST_F(PartSequenceRestoreTest, ResealingAnOpenFileWhosePairIsDurableKeepsTheNumber) {
  PartSequence sequence;
  Sealer sealer(layout, 1, clock, &sequence);
  const std::string lines = testing::trade_line(1, 1, 1);
  ASSERT_TRUE(sealer.seal(make_open(part_name(1000), lines)));
  ASSERT_TRUE(sealer.seal(make_open(part_name(6000), lines)));
  // A crash left the open file of the first part behind: sealed again by the next run.
  PartSequence next_run;
  ASSERT_TRUE(next_run.restore(layout));
  Sealer again(layout, 1, clock, &next_run);
  Result<std::optional<SealedPart>> resealed = again.seal(make_open(part_name(1000), lines));
  ASSERT_TRUE(resealed && *resealed);
  const nlohmann::json manifest = nlohmann::json::parse(read_text((*resealed)->manifest_file));
  EXPECT_EQ(manifest["extra"]["part_number"], 1);
  EXPECT_TRUE(manifest["extra"]["previous_part_key"].is_null());
  EXPECT_EQ(next_run.newest(part_name(1000).writer_key()), 2U);
}

TEST_F(PartSequenceRestoreTest, QuarantinePartsAreNotNumbered) {
  PartSequence sequence;
  Sealer sealer(layout, 1, clock, &sequence);
  const PartName name = part_name(1000, PartKind::kQuarantine);
  Result<std::optional<SealedPart>> sealed = sealer.seal(make_open(name, testing::quarantine_line(1)));
  ASSERT_TRUE(sealed && *sealed);
  const nlohmann::json manifest = nlohmann::json::parse(read_text((*sealed)->manifest_file));
  EXPECT_FALSE(manifest["extra"].contains("part_number"));
}

TEST(StoredMarkTest, ReadsTheOldOneNumberFormatAndRefusesDamage) {
  testing::TempDir dir;
  const auto file = dir.path() / "mark";
  ASSERT_TRUE(write_file_atomic(file, "1739141034567\n"));
  EXPECT_EQ(read_stored_mark_file(file), (StoredMark{.epoch_ms = 1739141034567}));
  ASSERT_TRUE(write_file_atomic(file, "1739141034567 12\n"));
  EXPECT_FALSE(read_stored_mark_file(file));
  ASSERT_TRUE(write_file_atomic(file, "x 12 k\n"));
  EXPECT_FALSE(read_stored_mark_file(file));
  ASSERT_TRUE(raise_stored_mark(file, 1739141034568));  // a damaged mark is replaced, not trusted
  EXPECT_EQ(read_stored_mark(file), 1739141034568);
}

TEST(StoredMarkTest, AGroupRaisesEachWritersMarkOnceToItsNewestPart) {
  testing::TempDir dir;
  const SpoolLayout layout(dir.path() / "spool");
  const auto numbered = [](std::uint64_t number) {
    return R"({"extra":{"part_number":)" + std::to_string(number) + "}}";
  };
  const SealedPart btc_1 = layout.sealed(part_name(1000));
  const SealedPart btc_2 = layout.sealed(part_name(6000));
  const SealedPart eth_1 = layout.sealed(part_name(1000, PartKind::kData, "ETHUSDT"));
  ASSERT_NE(btc_1.stored_mark, eth_1.stored_mark);
  const std::string m1 = numbered(1);
  const std::string m2 = numbered(2);
  const std::string m7 = numbered(7);
  // Newest first: the mark takes the largest of each, not the last.
  const StoredPart group[] = {{&btc_2, m2}, {&eth_1, m7}, {&btc_1, m1}};
  const std::vector<Status> raised = raise_stored_marks(group);
  ASSERT_EQ(raised.size(), 3u);
  for (const Status& status : raised) EXPECT_TRUE(status) << status.message();
  EXPECT_EQ(read_stored_mark_file(btc_1.stored_mark),
            (StoredMark{.epoch_ms = 6000, .part_number = 2, .part_key = btc_2.name.part_key()}));
  EXPECT_EQ(read_stored_mark_file(eth_1.stored_mark),
            (StoredMark{.epoch_ms = 1000, .part_number = 7, .part_key = eth_1.name.part_key()}));
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(layout.stored_dir())) {
    names.push_back(entry.path().filename());
  }
  EXPECT_EQ(names.size(), 2u) << "a temporary file was left";
}

TEST(StoredMarkTest, AMarksTemporaryFileLeftByACrashIsNotAWriter) {
  testing::TempDir dir;
  const SpoolLayout layout(dir.path() / "spool");
  const SealedPart part = layout.sealed(part_name(1000));
  const std::string manifest = R"({"extra":{"part_number":3}})";
  const StoredPart group[] = {{&part, manifest}};
  ASSERT_TRUE(raise_stored_marks(group).front());
  // What a crash between writing a newer mark and renaming it leaves.
  ASSERT_TRUE(write_file_atomic(temp_path_of(part.stored_mark), "9000 4 " + part.name.part_key() + "\n"));
  const std::vector<HeadWriter> writers = stored_writers(layout, "raw/", "i-0abc");
  ASSERT_EQ(writers.size(), 1u);
  EXPECT_EQ(writers.front().part_number, 3u);
}

}  // namespace
}  // namespace mc
