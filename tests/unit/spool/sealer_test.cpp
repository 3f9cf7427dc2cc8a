#include "spool/sealer.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>

#include "common/file_util.hpp"
#include "common/gzip.hpp"
#include "common/sha256.hpp"
#include "spool/part_scan.hpp"
#include "spool/part_sequence.hpp"
#include "support/fake_clock.hpp"
#include "support/temp_dir.hpp"
#include "unit/spool/spool_files.hpp"

namespace mc {
namespace {

using testing::part_name;
using testing::read_text;
using testing::trade_line;
using testing::write_text;

class SealerTest : public testing::SpoolTest {
 protected:
  std::size_t files_in(const std::filesystem::path& where) {
    return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(where), {}));
  }

  testing::FakeClock clock{1'739'141'040'123'456};
  std::int64_t next_epoch_ms_ = 1'739'141'034'567;
};

TEST_F(SealerTest, ManifestDescribesWhatThePartHolds) {
  const std::string lines = trade_line(1'739'141'034'567'123, 1'739'141'034'560, 500) +
                            trade_line(1'739'141'034'667'123, 1'739'141'034'550, 501) +
                            trade_line(1'739'141'034'767'123, 1'739'141'034'570, 504);
  const std::string torn = R"({"recv_us":1739141034867123,"stream":"btc)";
  const PartName name = part_name();
  const std::filesystem::path path = make_open(name, lines + torn);

  Result<std::optional<SealedPart>> sealed = Sealer(layout, 6, clock).seal(path);
  ASSERT_TRUE(sealed) << sealed.status().message();
  ASSERT_TRUE(sealed.value());
  const SealedPart& part = *sealed.value();
  EXPECT_EQ(part.name, name);
  EXPECT_EQ(part.part_file, layout.sealed(name).part_file);
  EXPECT_EQ(part.manifest_file, layout.sealed(name).manifest_file);
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_EQ(files_in(layout.sealed_dir()), 2u);  // no temp files left behind

  const std::string gz = read_text(part.part_file);
  Result<std::string> inflated = gunzip(gz);
  ASSERT_TRUE(inflated);
  EXPECT_EQ(*inflated, lines);  // the torn line is gone, nothing else

  const nlohmann::json manifest = nlohmann::json::parse(read_text(part.manifest_file));
  const nlohmann::json& payload = manifest["payload"];
  EXPECT_EQ(payload["s3_key"], name.part_key());
  EXPECT_EQ(payload["record_count"], std::count(inflated->begin(), inflated->end(), '\n'));
  EXPECT_EQ(payload["bytes_uncompressed"], inflated->size());
  EXPECT_EQ(payload["bytes_gzip"], gz.size());
  EXPECT_EQ(payload["sha256"], sha256_hex(gz).value());
  EXPECT_EQ(payload["time_min_ms"], 1'739'141'034'550);
  EXPECT_EQ(payload["time_max_ms"], 1'739'141'034'570);
  EXPECT_EQ(payload["id_first"], 500);
  EXPECT_EQ(payload["id_last"], 504);
  EXPECT_EQ(manifest["created_at_ms"], 1'739'141'040'123);
  EXPECT_EQ(manifest["extra"]["trimmed_bytes"], torn.size());
  EXPECT_EQ(manifest["extra"]["id_gaps"], nlohmann::json::parse("[[502,503]]"));
  EXPECT_EQ(manifest["extra"]["gzip_level"], 6);
}

// The writer's count is taken as it is when it matches the file, and the file is parsed when not.
TEST_F(SealerTest, TheWritersCountIsUsedOnlyForTheFileItDescribes) {
  const std::string lines = trade_line(1'739'141'034'567'123, 1'739'141'034'560, 500) +
                            trade_line(1'739'141'034'667'123, 1'739'141'034'550, 501);
  const PartStats scanned = scan_part(simdjson::padded_string(lines), PartKind::kData);
  PartStats counted = scanned;
  counted.time_min_ms = 7;  // a value no parse of the file gives: shows which numbers were used
  const auto time_min_after_sealing = [&](const PartStats& with) -> nlohmann::json {
    const PartName name = part_name(next_epoch_ms_++);
    Result<std::optional<SealedPart>> sealed = Sealer(layout, 6, clock).seal(make_open(name, lines), {}, with);
    if (!sealed || !sealed.value()) return "not sealed";
    return nlohmann::json::parse(read_text(sealed.value()->manifest_file))["payload"]["time_min_ms"];
  };
  EXPECT_EQ(time_min_after_sealing(counted), 7);
  PartStats too_short = counted;
  too_short.bytes -= 1;  // the file holds more than was counted
  EXPECT_EQ(time_min_after_sealing(too_short), 1'739'141'034'550);
}

// One sealer seals part after part in the same buffers: a smaller part after a larger one must come
// out as exactly its own lines, with its own numbers, nothing of the larger one's tail.
TEST_F(SealerTest, ASealerReusedForPartsOfDifferentSizesSealsEachAsItIs) {
  Sealer sealer(layout, 6, clock);
  std::int64_t id = 1;
  for (const int count : {2000, 3, 700, 1}) {
    std::string lines;
    const std::int64_t first = id;
    for (int i = 0; i < count; ++i, ++id) lines += trade_line(1'739'141'034'567'123 + id, 1'739'141'034'560 + id, id);
    Result<std::optional<SealedPart>> sealed = sealer.seal(make_open(part_name(next_epoch_ms_++), lines));
    ASSERT_TRUE(sealed && sealed.value()) << count << " lines";
    Result<std::string> inflated = gunzip(read_text(sealed.value()->part_file));
    ASSERT_TRUE(inflated);
    EXPECT_EQ(*inflated, lines) << count << " lines";
    const nlohmann::json payload = nlohmann::json::parse(read_text(sealed.value()->manifest_file))["payload"];
    EXPECT_EQ(payload["record_count"], count);
    EXPECT_EQ(payload["bytes_uncompressed"], lines.size());
    EXPECT_EQ(payload["id_first"], first);
    EXPECT_EQ(payload["id_last"], id - 1);
  }
}

TEST_F(SealerTest, HandsThePartOnOnceThePairIsCompleteAndBeforeTheOpenFileGoes) {
  const PartName name = part_name();
  const std::filesystem::path path = make_open(name, trade_line(1, 1, 1) + trade_line(2, 2, 2));
  int handed_on = 0;
  const auto hand_on = [&](const SealedPart& part) {
    ++handed_on;
    EXPECT_EQ(part.part_file, layout.sealed(name).part_file);
    EXPECT_TRUE(std::filesystem::exists(path)) << "the open file stays until the pair is durable and handed on";
    EXPECT_EQ(files_in(layout.sealed_dir()), 2u) << "both renamed, no temp file left";
    const nlohmann::json manifest = nlohmann::json::parse(read_text(part.manifest_file));
    EXPECT_EQ(manifest["payload"]["sha256"], sha256_hex(read_text(part.part_file)).value());
  };
  Result<std::optional<SealedPart>> sealed = Sealer(layout, 6, clock).seal(path, {}, std::nullopt, hand_on);
  ASSERT_TRUE(sealed && sealed.value()) << sealed.status().message();
  EXPECT_EQ(handed_on, 1);
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST_F(SealerTest, AFailedRenameOfThePartLeavesNoManifestAndHandsNothingOn) {
  const SealedPart sealed = layout.sealed(part_name());
  const std::filesystem::path path = make_open(part_name(), trade_line(1, 1, 1));
  // A non-empty directory where the part goes: renaming the part's temp file over it fails.
  std::filesystem::create_directories(sealed.part_file / "blocker");
  int handed_on = 0;
  Result<std::optional<SealedPart>> sealed_part =
      Sealer(layout, 6, clock).seal(path, {}, std::nullopt, [&](const SealedPart&) { ++handed_on; });
  EXPECT_FALSE(sealed_part);
  EXPECT_EQ(handed_on, 0);
  EXPECT_TRUE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(sealed.manifest_file)) << "the manifest is renamed only after its part";
  EXPECT_FALSE(std::filesystem::exists(temp_path_of(sealed.part_file))) << "temp files are cleaned up";
  EXPECT_FALSE(std::filesystem::exists(temp_path_of(sealed.manifest_file))) << "temp files are cleaned up";
}

TEST_F(SealerTest, SealingAgainWritesTheSameBytes) {
  std::string lines;
  for (int i = 0; i < 500; ++i) lines += trade_line(1'739'141'034'567'123 + i, 1'739'141'034'560 + i, 1000 + i);
  const PartName name = part_name();
  const std::filesystem::path path = make_open(name, lines);

  Result<std::optional<SealedPart>> first = Sealer(layout, 9, clock).seal(path);
  ASSERT_TRUE(first && first.value());
  const std::string first_part = read_text(first.value()->part_file);
  nlohmann::json first_manifest = nlohmann::json::parse(read_text(first.value()->manifest_file));

  // A crash before the open file was removed: the next start seals it again.
  write_text(path, lines);
  clock.advance(std::chrono::seconds(30));
  Result<std::optional<SealedPart>> second = Sealer(layout, 9, clock).seal(path);
  ASSERT_TRUE(second && second.value());
  EXPECT_EQ(read_text(second.value()->part_file), first_part);
  nlohmann::json second_manifest = nlohmann::json::parse(read_text(second.value()->manifest_file));
  EXPECT_EQ(second_manifest["created_at_ms"], first_manifest["created_at_ms"].get<std::int64_t>() + 30'000);
  second_manifest.erase("created_at_ms");
  first_manifest.erase("created_at_ms");
  EXPECT_EQ(second_manifest, first_manifest);
  EXPECT_EQ(files_in(layout.sealed_dir()), 2u);
}

TEST_F(SealerTest, AnOpenFileWithoutACompleteLineIsRemovedWithoutAPart) {
  const std::filesystem::path empty = make_open(part_name(1000), "");
  const std::filesystem::path torn = make_open(part_name(2000), R"({"recv_us":17)");
  for (const auto& path : {empty, torn}) {
    Result<std::optional<SealedPart>> sealed = Sealer(layout, 6, clock).seal(path);
    ASSERT_TRUE(sealed) << sealed.status().message();
    EXPECT_FALSE(sealed.value());
    EXPECT_FALSE(std::filesystem::exists(path));
  }
  EXPECT_EQ(files_in(layout.sealed_dir()), 0u);
}

TEST_F(SealerTest, AGoneOpenFileIsNothingToSeal) {
  Result<std::optional<SealedPart>> sealed = Sealer(layout, 6, clock).seal(layout.open_file(part_name()));
  ASSERT_TRUE(sealed);
  EXPECT_FALSE(sealed.value());
}

TEST_F(SealerTest, ANameThatIsNotAnOpenKeyIsCorrupt) {
  const PartName name = part_name();
  for (const std::string& file_name :
       {std::string("garbage.jsonl"), spool_file_name(name.part_key()), spool_file_name(name.manifest_key()),
        std::string("raw%2Fexchange=binance%2Fpart-x-1.jsonl"), std::string("bad%escape")}) {
    const std::filesystem::path path = layout.open_dir() / file_name;
    write_text(path, trade_line(1, 1, 1));
    Result<std::optional<SealedPart>> sealed = Sealer(layout, 6, clock).seal(path);
    EXPECT_EQ(sealed.status().kind(), ErrorKind::kCorrupt) << file_name;
    EXPECT_TRUE(std::filesystem::exists(path)) << "the caller moves it, the sealer does not";
  }
  EXPECT_EQ(files_in(layout.sealed_dir()), 0u);
}

TEST_F(SealerTest, QuarantinePartsGetNullTimesAndIds) {
  const PartName name = part_name(1739141034567, PartKind::kQuarantine);
  const std::filesystem::path path = make_open(name, testing::quarantine_line(5) + testing::quarantine_line(7));
  Result<std::optional<SealedPart>> sealed = Sealer(layout, 1, clock).seal(path);
  ASSERT_TRUE(sealed && sealed.value());
  const nlohmann::json manifest = nlohmann::json::parse(read_text(sealed.value()->manifest_file));
  EXPECT_TRUE(manifest["payload"]["time_min_ms"].is_null());
  EXPECT_TRUE(manifest["payload"]["id_last"].is_null());
  EXPECT_EQ(manifest["payload"]["record_count"], 2);
  EXPECT_EQ(manifest["extra"]["kind"], "quarantine");
  EXPECT_EQ(manifest["extra"]["recv_max_us"], 7);
  EXPECT_TRUE(manifest["payload"]["s3_key"].get<std::string>().starts_with("raw/_quarantine/"));
}

TEST_F(SealerTest, AFailedWriteKeepsTheOpenFile) {
  const std::filesystem::path path = make_open(part_name(), trade_line(1, 1, 1));
  std::filesystem::remove(layout.sealed_dir());
  Result<std::optional<SealedPart>> sealed = Sealer(layout, 6, clock).seal(path);
  EXPECT_EQ(sealed.status().kind(), ErrorKind::kRetryable);
  EXPECT_TRUE(std::filesystem::exists(path));
}

TEST_F(SealerTest, ABadLevelIsFatalAndKeepsTheOpenFile) {
  const std::filesystem::path path = make_open(part_name(), trade_line(1, 1, 1));
  Result<std::optional<SealedPart>> sealed = Sealer(layout, 0, clock).seal(path);
  EXPECT_EQ(sealed.status().kind(), ErrorKind::kFatal);
  EXPECT_TRUE(std::filesystem::exists(path));
}

// Parts sealed together (one window's end with many symbols) end as each would alone: its own lines,
// its own manifest and number, its open file gone, every one handed on once, no temp file left.
TEST_F(SealerTest, PartsSealedTogetherEndAsEachWouldAlone) {
  PartSequence sequence;
  std::vector<SealJob> jobs;
  std::vector<std::string> lines;
  for (const char* symbol : {"ETHUSDT", "BTCUSDT", "SOLUSDT"}) {
    const std::int64_t id = 100 + static_cast<std::int64_t>(jobs.size());
    lines.push_back(trade_line(1'739'141'034'567'123, 1'739'141'034'560, id));
    jobs.push_back({.open_file = make_open(part_name(next_epoch_ms_, PartKind::kData, symbol), lines.back())});
  }
  jobs.push_back({.open_file = make_open(part_name(next_epoch_ms_, PartKind::kQuarantine),
                                         testing::quarantine_line(1'739'141'034'567'123))});
  std::vector<std::filesystem::path> handed_on;
  const auto hand_on = [&](const SealedPart& part) {
    handed_on.push_back(part.part_file);
    EXPECT_TRUE(std::filesystem::exists(part.manifest_file));
  };

  std::vector<Result<std::optional<SealedPart>>> sealed = Sealer(layout, 6, clock, &sequence).seal_group(jobs, hand_on);

  ASSERT_EQ(sealed.size(), jobs.size());
  EXPECT_EQ(handed_on.size(), jobs.size());
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    ASSERT_TRUE(sealed[i] && sealed[i].value()) << i << ": " << sealed[i].status().message();
    const SealedPart& part = *sealed[i].value();
    EXPECT_EQ(layout.open_file(part.name), jobs[i].open_file) << "results follow the jobs' order";
    EXPECT_FALSE(std::filesystem::exists(jobs[i].open_file));
    const nlohmann::json manifest = nlohmann::json::parse(read_text(part.manifest_file));
    EXPECT_EQ(manifest["payload"]["sha256"], sha256_hex(read_text(part.part_file)).value());
    if (i < lines.size()) {
      EXPECT_EQ(gunzip(read_text(part.part_file)).value(), lines[i]);
      EXPECT_EQ(manifest["payload"]["id_first"], 100 + static_cast<int>(i));
      EXPECT_EQ(manifest["extra"]["part_number"], 1) << "each writer's first part";
    } else {
      EXPECT_FALSE(manifest["extra"].contains("part_number")) << "quarantine parts are not numbered";
    }
  }
  EXPECT_EQ(files_in(layout.sealed_dir()), 2 * jobs.size()) << "pairs only, no temp file";
  EXPECT_EQ(files_in(layout.open_dir()), 0u);
}

// One writer's parts take their numbers in turns, so a group holds one part per writer: a second one
// fails without touching its open file, and sealed after the group it takes the next number.
TEST_F(SealerTest, ASecondPartOfOneWriterInAGroupFailsAndIsSealedAfterIt) {
  PartSequence sequence;
  Sealer sealer(layout, 6, clock, &sequence);
  const std::vector<SealJob> jobs = {
      {.open_file = make_open(part_name(next_epoch_ms_), trade_line(1, 1, 1))},
      {.open_file = make_open(part_name(next_epoch_ms_ + 1), trade_line(2, 2, 2))},
  };
  std::vector<Result<std::optional<SealedPart>>> sealed = sealer.seal_group(jobs);
  ASSERT_TRUE(sealed[0] && sealed[0].value()) << sealed[0].status().message();
  ASSERT_FALSE(sealed[1]);
  EXPECT_EQ(sealed[1].status().kind(), ErrorKind::kFatal);
  EXPECT_TRUE(std::filesystem::exists(jobs[1].open_file));

  Result<std::optional<SealedPart>> second = sealer.seal(jobs[1].open_file);
  ASSERT_TRUE(second && second.value()) << second.status().message();
  const nlohmann::json manifest = nlohmann::json::parse(read_text(second.value()->manifest_file));
  EXPECT_EQ(manifest["extra"]["part_number"], 2);
  EXPECT_EQ(manifest["extra"]["previous_part_key"], part_name(next_epoch_ms_).part_key());
}

// A part that cannot be sealed does not hold back the others of its group.
TEST_F(SealerTest, APartThatFailsInAGroupLeavesTheOthersSealed) {
  const SealedPart blocked = layout.sealed(part_name(next_epoch_ms_, PartKind::kData, "ETHUSDT"));
  std::filesystem::create_directories(blocked.part_file / "blocker");  // its rename fails
  const std::vector<SealJob> jobs = {
      {.open_file = make_open(part_name(next_epoch_ms_, PartKind::kData, "BTCUSDT"), trade_line(1, 1, 1))},
      {.open_file = make_open(part_name(next_epoch_ms_, PartKind::kData, "ETHUSDT"), trade_line(2, 2, 2))},
      {.open_file = layout.open_dir() / "not-a-part-key"},
  };
  testing::write_text(jobs[2].open_file, trade_line(3, 3, 3));
  std::vector<Result<std::optional<SealedPart>>> sealed = Sealer(layout, 6, clock).seal_group(jobs);
  ASSERT_TRUE(sealed[0] && sealed[0].value()) << sealed[0].status().message();
  EXPECT_FALSE(std::filesystem::exists(jobs[0].open_file));
  EXPECT_FALSE(sealed[1]);
  EXPECT_TRUE(std::filesystem::exists(jobs[1].open_file));
  EXPECT_FALSE(std::filesystem::exists(blocked.manifest_file));
  EXPECT_FALSE(std::filesystem::exists(temp_path_of(blocked.manifest_file)));
  EXPECT_EQ(sealed[2].status().kind(), ErrorKind::kCorrupt);
}

}  // namespace
}  // namespace mc
