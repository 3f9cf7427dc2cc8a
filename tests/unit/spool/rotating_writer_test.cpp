#include "spool/rotating_writer.hpp"

#include <fcntl.h>
#include <sys/resource.h>

#include <csignal>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/file_util.hpp"
#include "spool/window.hpp"
#include "spool/stored_marks.hpp"
#include "spool/part_scan.hpp"
#include "support/fake_clock.hpp"
#include "unit/spool/writer_test_metrics.hpp"
#include "support/temp_dir.hpp"

namespace mc {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kSecond = 1'000'000;
constexpr std::int64_t kT0 = 1'739'141'030 * kSecond;  // 2025-02-09T22:43:50Z, a 5 s window start

struct ClosedPart {
  PartName name;
  fs::path file;
  std::string content;
  std::optional<PartStats> stats;
  bool fd_open = false;
  bool data_synced = false;
  bool name_synced = false;
};

// A line of exactly `size` bytes (newline included) that names its receive time.
std::string line_of(std::int64_t recv_us, std::size_t size = 40) {
  std::string line = "{\"recv_us\":" + std::to_string(recv_us) + ",\"p\":\"";
  const std::size_t tail = 3;  // "\"}\n"
  line.append(size > line.size() + tail ? size - line.size() - tail : 0, 'x');
  return line + "\"}\n";
}

std::int64_t recv_of(std::string_view line) { return std::stoll(std::string(line.substr(11, 16))); }

std::vector<std::string> lines_of(const std::string& content) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < content.size()) {
    const std::size_t end = content.find('\n', start);
    lines.push_back(content.substr(start, end - start + 1));
    start = end + 1;
  }
  return lines;
}

std::vector<fs::path> files_in(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) files.push_back(entry.path());
  return files;
}

class RotatingWriterTest : public ::testing::Test {
 protected:
  void SetUp() override { fs::create_directories(layout.open_dir()); }

  std::unique_ptr<RotatingWriter> make(FileOpener opener = create_part_file) {
    return std::make_unique<RotatingWriter>(
        layout, route, settings, clock, metrics,
        [this](const PartName& name, ClosedPartFile file, std::optional<PartStats> stats) {
          Result<std::string> content = read_file(file.path);
          closed.push_back({name, file.path,
                            content ? *content : "<unreadable: " + content.status().message() + ">",
                            std::move(stats), file.fd.valid(), file.data_synced, file.name_synced});
        },
        std::move(opener));
  }

  std::string open_content(const RotatingWriter& writer) {
    const std::optional<PartName> name = writer.open_part();
    if (!name) return "<no open part>";
    Result<std::string> content = read_file(layout.open_file(*name));
    return content ? *content : "<unreadable>";
  }

  testing::TempDir dir;
  SpoolLayout layout{dir.path() / "spool"};
  testing::FakeClock clock{kT0};
  testing::WriterTestMetrics metrics;
  RotationSettings settings{"raw/", "i-0abc", 1000, 5};
  Route route{PartKind::kData, "trade", "BTCUSDT"};
  std::vector<ClosedPart> closed;
};

TEST_F(RotatingWriterTest, WindowEndStartsANewPart) {
  auto writer = make();
  const std::int64_t end = kT0 + 5 * kSecond;
  ASSERT_TRUE(writer->append(end - 1, line_of(end - 1)));
  ASSERT_TRUE(writer->append(end, line_of(end)));
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].content, line_of(end - 1));
  EXPECT_EQ(closed[0].name.epoch_ms, (end - 1) / 1000);
  ASSERT_TRUE(writer->close(CloseReason::kShutdown));
  ASSERT_EQ(closed.size(), 2u);
  EXPECT_EQ(closed[1].content, line_of(end));
  EXPECT_EQ(closed[1].name.epoch_ms, end / 1000);
  EXPECT_EQ(metrics.parts_opened.load(), 2u);
}

TEST_F(RotatingWriterTest, APartNeverSpansTwoWindows) {
  auto writer = make();
  std::vector<std::string> appended;
  for (std::int64_t t = kT0; t < kT0 + 17 * kSecond; t += 170'001) {
    appended.push_back(line_of(t, 40 + static_cast<std::size_t>(t % 97)));
    ASSERT_TRUE(writer->append(t, appended.back()));
  }
  ASSERT_TRUE(writer->close(CloseReason::kShutdown));
  std::vector<std::string> seen;
  for (const ClosedPart& part : closed) {
    const std::vector<std::string> lines = lines_of(part.content);
    ASSERT_FALSE(lines.empty());
    const std::int64_t window = window_index(recv_of(lines.front()), 5);
    for (const std::string& line : lines) EXPECT_EQ(window_index(recv_of(line), 5), window) << part.file;
    seen.insert(seen.end(), lines.begin(), lines.end());
  }
  EXPECT_EQ(seen, appended);
  EXPECT_GE(closed.size(), 4u);  // 4 windows, some split by size
}

TEST_F(RotatingWriterTest, TheLineThatReachesRotBytesIsTheLast) {
  settings.rot_bytes = 200;
  auto writer = make();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(writer->append(kT0 + i, line_of(kT0 + i, 50)));
  EXPECT_TRUE(closed.empty());
  ASSERT_TRUE(writer->append(kT0 + 3, line_of(kT0 + 3, 50)));
  ASSERT_EQ(closed.size(), 1u);  // exactly 200 bytes: closed right after the 4th line
  EXPECT_EQ(closed[0].content.size(), 200u);
  EXPECT_FALSE(writer->open_part());
}

TEST_F(RotatingWriterTest, APartExceedsRotBytesByLessThanOneLine) {
  settings.rot_bytes = 100;
  auto writer = make();
  for (int i = 0; i < 7; ++i) ASSERT_TRUE(writer->append(kT0 + i, line_of(kT0 + i, 40)));
  ASSERT_EQ(closed.size(), 2u);
  for (const ClosedPart& part : closed) {
    EXPECT_EQ(part.content.size(), 120u);  // 80 < 100 <= 120 < 100 + 40
  }
  ASSERT_TRUE(writer->open_part());
  EXPECT_EQ(open_content(*writer), "");  // the seventh line is still buffered
  ASSERT_TRUE(writer->flush());
  EXPECT_EQ(open_content(*writer), line_of(kT0 + 6, 40));
}

TEST_F(RotatingWriterTest, ALineLargerThanRotBytesMakesAOneLinePart) {
  settings.rot_bytes = 100;
  auto writer = make();
  ASSERT_TRUE(writer->append(kT0, line_of(kT0, 40)));
  ASSERT_TRUE(writer->append(kT0 + 1, line_of(kT0 + 1, 250)));
  ASSERT_TRUE(writer->append(kT0 + 2, line_of(kT0 + 2, 250)));
  ASSERT_TRUE(writer->append(kT0 + 3, line_of(kT0 + 3, 40)));
  ASSERT_EQ(closed.size(), 2u);
  EXPECT_EQ(closed[0].content, line_of(kT0, 40) + line_of(kT0 + 1, 250));
  EXPECT_EQ(closed[1].content, line_of(kT0 + 2, 250));
  ASSERT_TRUE(writer->flush());
  EXPECT_EQ(open_content(*writer), line_of(kT0 + 3, 40));
}

TEST_F(RotatingWriterTest, ClockSteppingBackStartsANewPartWithALaterName) {
  auto writer = make();
  const std::int64_t later = kT0 + 12 * kSecond;
  const std::int64_t earlier = kT0 + 1 * kSecond;
  ASSERT_TRUE(writer->append(later, line_of(later)));
  ASSERT_TRUE(writer->append(earlier, line_of(earlier)));
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].content, line_of(later));
  ASSERT_TRUE(writer->append(earlier + 1000, line_of(earlier + 1000)));  // same (earlier) window
  ASSERT_TRUE(writer->close(CloseReason::kShutdown));
  ASSERT_EQ(closed.size(), 2u);
  EXPECT_EQ(closed[1].content, line_of(earlier) + line_of(earlier + 1000));
  EXPECT_EQ(closed[1].name.epoch_ms, closed[0].name.epoch_ms + 1);  // not earlier/1000
}

TEST_F(RotatingWriterTest, TickClosesAQuietWindowAndCreatesNoEmptyPart) {
  auto writer = make();
  ASSERT_TRUE(writer->tick(kT0 + 100 * kSecond));
  EXPECT_TRUE(files_in(layout.open_dir()).empty());  // nothing appended: no file

  ASSERT_TRUE(writer->append(kT0 + 2 * kSecond, line_of(kT0 + 2 * kSecond)));
  EXPECT_EQ(writer->open_window_end_us(), kT0 + 5 * kSecond);
  ASSERT_TRUE(writer->tick(kT0 + 5 * kSecond - 1));
  EXPECT_TRUE(closed.empty());
  ASSERT_TRUE(writer->tick(kT0 + 5 * kSecond));
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].content, line_of(kT0 + 2 * kSecond));

  for (int i = 1; i <= 5; ++i) ASSERT_TRUE(writer->tick(kT0 + 5 * kSecond * (i + 1)));
  EXPECT_EQ(closed.size(), 1u);
  EXPECT_EQ(files_in(layout.open_dir()), std::vector<fs::path>{closed[0].file});
  EXPECT_EQ(metrics.parts_opened.load(), 1u);
}

TEST_F(RotatingWriterTest, EpochMsStrictlyIncreasesAcrossManyPartsInOneMillisecond) {
  settings.rot_bytes = 1;  // every line closes its part
  auto writer = make();
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(writer->append(kT0 + 123, line_of(kT0 + 123)));
  ASSERT_EQ(closed.size(), 50u);
  for (std::size_t i = 0; i < closed.size(); ++i) {
    EXPECT_EQ(closed[i].name.epoch_ms, kT0 / 1000 + static_cast<std::int64_t>(i));
    EXPECT_EQ(closed[i].content, line_of(kT0 + 123));
  }
  EXPECT_EQ(files_in(layout.open_dir()).size(), 50u);
}

TEST_F(RotatingWriterTest, OpenFileHoldsExactlyTheLinesInOrder) {
  settings.rot_bytes = 1 << 20;
  auto writer = make();
  std::string expected;
  for (int i = 0; i < 200; ++i) {
    const std::string line = line_of(kT0 + i, 40 + static_cast<std::size_t>(i));
    expected += line;
    ASSERT_TRUE(writer->append(kT0 + i, line));
  }
  ASSERT_TRUE(writer->append(kT0 + 300, "no newline"));  // the writer ends it
  expected += "no newline\n";
  ASSERT_TRUE(writer->flush());
  EXPECT_EQ(open_content(*writer), expected);
  EXPECT_EQ(metrics.bytes_written.load(), expected.size());
  EXPECT_EQ(metrics.write_errors.load(), 0u);
}

// The writer syncs nothing by itself: a closed part goes to its owner with its file still open and
// what was synced of it, so the owner can sync many parts at once.
TEST_F(RotatingWriterTest, AClosedPartComesWithItsFileOpenAndWhatWasSyncedOfIt) {
  auto writer = make();
  ASSERT_TRUE(writer->append(kT0, line_of(kT0)));
  ASSERT_TRUE(writer->flush());
  EXPECT_TRUE(writer->needs_data_sync());
  EXPECT_TRUE(writer->needs_name_sync());
  ASSERT_TRUE(writer->sync_data());
  EXPECT_FALSE(writer->needs_data_sync());
  EXPECT_TRUE(writer->needs_name_sync());  // only the owner's fsync of open/ covers the name
  EXPECT_EQ(metrics.writer_fdatasyncs.load(), 1u);
  ASSERT_TRUE(writer->sync_data());  // nothing new to sync: no second fdatasync
  EXPECT_EQ(metrics.writer_fdatasyncs.load(), 1u);

  ASSERT_TRUE(writer->append(kT0 + 1, line_of(kT0 + 1)));
  ASSERT_TRUE(writer->close(CloseReason::kShutdown));
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_TRUE(closed[0].fd_open);
  EXPECT_FALSE(closed[0].data_synced);  // the second line came after the sync
  EXPECT_FALSE(closed[0].name_synced);
  EXPECT_EQ(closed[0].content, line_of(kT0) + line_of(kT0 + 1));

  ASSERT_TRUE(writer->append(kT0 + 2, line_of(kT0 + 2)));
  ASSERT_TRUE(writer->flush());
  writer->data_made_durable();
  writer->name_made_durable();
  EXPECT_FALSE(writer->needs_data_sync());
  EXPECT_FALSE(writer->needs_name_sync());
  ASSERT_TRUE(writer->close(CloseReason::kShutdown));
  ASSERT_EQ(closed.size(), 2u);
  EXPECT_TRUE(closed[1].data_synced);
  EXPECT_TRUE(closed[1].name_synced);
}

TEST_F(RotatingWriterTest, PartNameCarriesTheFoldersOfItsFirstRecord) {
  route = {PartKind::kQuarantine, "trade", "ETHUSDT"};
  auto writer = make();
  const std::int64_t recv = 1'739'141'034'567'123;  // 2025-02-09T22:43:54.567123Z
  ASSERT_TRUE(writer->append(recv, line_of(recv)));
  ASSERT_TRUE(writer->close(CloseReason::kShutdown));
  ASSERT_EQ(closed.size(), 1u);
  const PartName& name = closed[0].name;
  EXPECT_EQ(name.epoch_ms, 1'739'141'034'567);
  EXPECT_EQ(name.directory_key(), "raw/_quarantine/exchange=binance/stream=trade/symbol=ETHUSDT/dt=2025-02-09/22/43/");
  EXPECT_EQ(name.instance_id, "i-0abc");
  EXPECT_EQ(closed[0].file, layout.open_file(name));
  EXPECT_EQ(parse_part_key(name.open_key()), name);
}

TEST_F(RotatingWriterTest, NamesStillInTheSpoolAreNotReused) {
  fs::create_directories(layout.sealed_dir());
  PartName taken{"raw/", PartKind::kData, "trade", "BTCUSDT", "i-0abc", kT0 / 1000};
  ASSERT_TRUE(write_file_atomic(layout.sealed(taken).manifest_file, "{}"));  // uploaded part, manifest left
  taken.epoch_ms += 1;
  ASSERT_TRUE(write_file_atomic(layout.sealed(taken).part_file, "gz"));
  taken.epoch_ms += 1;
  ASSERT_TRUE(write_file_atomic(layout.open_file(taken), "left by a crash\n"));

  auto writer = make();
  ASSERT_TRUE(writer->append(kT0, line_of(kT0)));
  ASSERT_TRUE(writer->open_part());
  EXPECT_EQ(writer->open_part()->epoch_ms, kT0 / 1000 + 3);
}

TEST_F(RotatingWriterTest, NamesAlreadyStoredByAnEarlierRunAreNotReused) {
  // An earlier run stored parts up to kT0/1000 + 500 and deleted them from the spool; this run's
  // clock is behind that (a clock step back across the restart).
  const PartName writer_name{"raw/", PartKind::kData, "trade", "BTCUSDT", "i-0abc", 0};
  ASSERT_TRUE(raise_stored_mark(layout.stored_mark(writer_name), kT0 / 1000 + 500));

  auto writer = make();
  ASSERT_TRUE(writer->append(kT0, line_of(kT0)));
  ASSERT_TRUE(writer->open_part());
  EXPECT_EQ(writer->open_part()->epoch_ms, kT0 / 1000 + 501);
}

TEST_F(RotatingWriterTest, WritersLeaveTheReservedFreeSpaceToTheSealer) {
  settings.min_free_bytes = std::uint64_t{1} << 62;  // more than any file system has free
  auto writer = make();
  ASSERT_TRUE(writer->append(kT0, line_of(kT0)));
  const Status flushed = writer->flush();
  EXPECT_EQ(flushed.kind(), ErrorKind::kNoSpace);
  EXPECT_EQ(metrics.records_dropped.load(), 1u);
  EXPECT_EQ(metrics.bytes_written.load(), 0u);

  settings.min_free_bytes = 0;
  auto unlimited = make();
  ASSERT_TRUE(unlimited->append(kT0, line_of(kT0)));
  EXPECT_TRUE(unlimited->flush());
  EXPECT_EQ(metrics.bytes_written.load(), 40u);
}

TEST_F(RotatingWriterTest, DiskFullDropsAndCountsLinesAndKeepsThePartOpen) {
  // /dev/full fails every write with ENOSPC.
  auto writer = make([](const fs::path&) -> Result<UniqueFd> {
    const int fd = ::open("/dev/full", O_WRONLY | O_CLOEXEC);
    if (fd < 0) return Status::fatal("cannot open /dev/full");
    return UniqueFd(fd);
  });
  std::string reported;
  writer->on_dropped_lines([&reported](std::string_view lines) { reported += lines; });
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(writer->append(kT0 + i, line_of(kT0 + i)));
  const Status flushed = writer->flush();
  ASSERT_FALSE(flushed);
  EXPECT_EQ(flushed.kind(), ErrorKind::kNoSpace);
  EXPECT_EQ(metrics.records_dropped.load(), 3u);
  EXPECT_EQ(reported, line_of(kT0) + line_of(kT0 + 1) + line_of(kT0 + 2));  // handed back, whole
  EXPECT_EQ(metrics.write_errors.load(), 1u);
  EXPECT_TRUE(writer->open_part());  // still open: later writes retry

  for (int i = 3; i < 5; ++i) ASSERT_TRUE(writer->append(kT0 + i, line_of(kT0 + i)));
  EXPECT_FALSE(writer->flush());
  EXPECT_EQ(metrics.records_dropped.load(), 5u);
  EXPECT_EQ(metrics.write_errors.load(), 2u);
  EXPECT_EQ(metrics.bytes_written.load(), 0u);

  ASSERT_TRUE(writer->tick(kT0 + 5 * kSecond));
  EXPECT_TRUE(closed.empty());  // nothing was written: no empty part reaches the sealer
  EXPECT_EQ(metrics.parts_opened.load(), 1u);
}

TEST_F(RotatingWriterTest, ALineNoPartCouldBeOpenedForIsHandedBackToo) {
  auto writer = make([](const fs::path&) -> Result<UniqueFd> { return Status::no_space("open: disk full"); });
  std::string reported;
  writer->on_dropped_lines([&reported](std::string_view lines) { reported += lines; });
  EXPECT_FALSE(writer->append(kT0, line_of(kT0)));
  EXPECT_EQ(reported, line_of(kT0));
  EXPECT_EQ(metrics.records_dropped.load(), 1u);
}

// Lowers RLIMIT_FSIZE so writes past `bytes` are cut short (then fail with EFBIG), like a disk
// that fills in the middle of a write; restores the limit when destroyed.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    previous_signal_ = std::signal(SIGXFSZ, SIG_IGN);
    EXPECT_EQ(::getrlimit(RLIMIT_FSIZE, &previous_), 0);
    rlimit lowered = previous_;
    lowered.rlim_cur = bytes;
    EXPECT_EQ(::setrlimit(RLIMIT_FSIZE, &lowered), 0);
  }
  ~FileSizeLimit() {
    EXPECT_EQ(::setrlimit(RLIMIT_FSIZE, &previous_), 0);
    std::signal(SIGXFSZ, previous_signal_);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

 private:
  rlimit previous_{};
  void (*previous_signal_)(int) = nullptr;
};

TEST_F(RotatingWriterTest, AShortWriteIsCutBackToTheLastWholeLineAndWritingResumes) {
  settings.rot_bytes = 1 << 20;
  auto writer = make();
  std::vector<std::string> lines;
  for (int i = 0; i < 6; ++i) lines.push_back(line_of(kT0 + i, 100));
  {
    const FileSizeLimit limit(250);  // room for two and a half lines
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(writer->append(kT0 + i, lines[static_cast<std::size_t>(i)]));
    EXPECT_FALSE(writer->flush());
    EXPECT_EQ(open_content(*writer), lines[0] + lines[1]);  // the torn third line is gone
    EXPECT_EQ(metrics.records_dropped.load(), 2u);
    EXPECT_EQ(metrics.bytes_written.load(), 200u);
  }
  ASSERT_TRUE(writer->append(kT0 + 4, lines[4]));
  ASSERT_TRUE(writer->append(kT0 + 5, lines[5]));
  ASSERT_TRUE(writer->flush());
  EXPECT_EQ(open_content(*writer), lines[0] + lines[1] + lines[4] + lines[5]);
  EXPECT_EQ(metrics.bytes_written.load(), 400u);
  ASSERT_TRUE(writer->close(CloseReason::kShutdown));
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].content, lines[0] + lines[1] + lines[4] + lines[5]);
  EXPECT_FALSE(closed[0].stats);  // lines were dropped: the sealer must read the file
}

// A trade line as the feed writes it.
std::string trade_line_of(std::int64_t recv_us, std::int64_t id, std::int64_t event_ms) {
  return "{\"recv_us\":" + std::to_string(recv_us) + ",\"stream\":\"btcusdt@trade\",\"data\":{\"e\":\"trade\",\"E\":" +
         std::to_string(event_ms) + ",\"s\":\"BTCUSDT\",\"t\":" + std::to_string(id) + "}}\n";
}

TEST_F(RotatingWriterTest, TheCountedNumbersAreThoseTheFileHolds) {
  settings.rot_bytes = 1 << 20;
  auto writer = make();
  const std::vector<std::int64_t> ids = {100, 101, 105, 102, 109};  // out of order, with holes
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const auto at = static_cast<std::int64_t>(i);
    ASSERT_TRUE(writer->append(kT0 + at, trade_line_of(kT0 + at, ids[i], 1'739'141'029'000 + 7 * at),
                               TradeFacts{ids[i], 1'739'141'029'000 + 7 * at}));
  }
  ASSERT_TRUE(writer->close(CloseReason::kShutdown));
  ASSERT_EQ(closed.size(), 1u);
  ASSERT_TRUE(closed[0].stats);
  const PartStats scanned = scan_part(simdjson::padded_string(closed[0].content), PartKind::kData);
  EXPECT_EQ(scanned.bad_lines, 0u);
  const PartStats& counted = *closed[0].stats;
  EXPECT_EQ(counted.record_count, scanned.record_count);
  EXPECT_EQ(counted.bytes, scanned.bytes);
  EXPECT_EQ(counted.bytes, closed[0].content.size());
  EXPECT_EQ(counted.time_min_ms, scanned.time_min_ms);
  EXPECT_EQ(counted.time_max_ms, scanned.time_max_ms);
  EXPECT_EQ(counted.id_first, 100);
  EXPECT_EQ(counted.id_last, 109);
  EXPECT_EQ(counted.recv_min_us, scanned.recv_min_us);
  EXPECT_EQ(counted.recv_max_us, scanned.recv_max_us);
  EXPECT_EQ(counted.id_gaps, scanned.id_gaps);
  EXPECT_EQ(counted.id_gaps, (std::vector<IdGap>{{103, 104}, {106, 108}}));
}

TEST_F(RotatingWriterTest, ADataLineWithoutItsTradeLeavesTheCountToTheSealer) {
  auto writer = make();
  ASSERT_TRUE(writer->append(kT0, trade_line_of(kT0, 1, 2), TradeFacts{1, 2}));
  ASSERT_TRUE(writer->append(kT0 + 1, line_of(kT0 + 1)));
  ASSERT_TRUE(writer->close(CloseReason::kShutdown));
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_FALSE(closed[0].stats);
}

TEST_F(RotatingWriterTest, AFailedOpenDropsTheLineAndTheNextAppendRetries) {
  int calls = 0;
  auto writer = make([&calls](const fs::path& path) -> Result<UniqueFd> {
    if (++calls == 1) return Status::no_space("create " + path.string() + ": No space left on device");
    return create_part_file(path);
  });
  const Status first = writer->append(kT0, line_of(kT0));
  ASSERT_FALSE(first);
  EXPECT_EQ(first.kind(), ErrorKind::kNoSpace);
  EXPECT_FALSE(writer->open_part());
  EXPECT_EQ(metrics.records_dropped.load(), 1u);
  EXPECT_EQ(metrics.write_errors.load(), 1u);

  ASSERT_TRUE(writer->append(kT0 + 1, line_of(kT0 + 1)));
  ASSERT_TRUE(writer->close(CloseReason::kShutdown));
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].content, line_of(kT0 + 1));
}

TEST(RotatingWriterSettingsTest, ZeroSecondWindowsAreRefused) {
  testing::TempDir dir;
  testing::FakeClock clock;
  testing::WriterTestMetrics metrics;
  EXPECT_THROW(RotatingWriter(SpoolLayout(dir.path()), Route{}, RotationSettings{"raw/", "i", 10, 0}, clock, metrics,
                              [](const PartName&, ClosedPartFile, const std::optional<PartStats>&) {}),
               std::invalid_argument);
}

}  // namespace
}  // namespace mc
