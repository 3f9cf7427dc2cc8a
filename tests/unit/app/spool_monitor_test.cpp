#include "app/spool_monitor.hpp"

#include <chrono>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "common/log.hpp"
#include "support/temp_dir.hpp"

namespace mc {
namespace {

void write_bytes(const std::filesystem::path& path, std::size_t bytes) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << std::string(bytes, 'x');
}

TEST(SpoolMonitorTest, CountsEveryFileButOnlyUnstoredWorkAsFiles) {
  testing::TempDir dir;
  const SpoolLayout layout(dir.path());
  write_bytes(layout.open_dir() / "a", 100);
  write_bytes(layout.sealed_dir() / "b", 200);
  write_bytes(layout.root() / "rejected" / "c", 50);
  SpoolMetrics metrics;
  const auto log = make_logger("test");
  SpoolMonitor monitor(layout, 1000, metrics, *log);

  // The oldest unstored file says how long the store has been behind.
  std::filesystem::last_write_time(layout.sealed_dir() / "b",
                                   std::filesystem::file_time_type::clock::now() - std::chrono::seconds(100));
  monitor.measure();
  EXPECT_EQ(metrics.spool_bytes.load(), 350);
  EXPECT_EQ(metrics.spool_files.load(), 2);
  EXPECT_GE(metrics.spool_oldest_age_seconds.load(), 99);
  EXPECT_LT(metrics.spool_oldest_age_seconds.load(), 200);
  EXPECT_FALSE(monitor.over_limit());
}

TEST(SpoolMonitorTest, TheAlarmRisesOverTheLimitAndFallsBackUnderIt) {
  testing::TempDir dir;
  const SpoolLayout layout(dir.path());
  SpoolMetrics metrics;
  const auto log = make_logger("test");
  SpoolMonitor monitor(layout, 1000, metrics, *log);
  write_bytes(layout.sealed_dir() / "big", 1001);
  monitor.measure();
  EXPECT_TRUE(monitor.over_limit());

  std::filesystem::remove(layout.sealed_dir() / "big");
  monitor.measure();
  EXPECT_FALSE(monitor.over_limit());
  EXPECT_EQ(metrics.spool_files.load(), 0);
}

TEST(SpoolMonitorTest, MeasuresTheSpoolsFileSystem) {
  testing::TempDir dir;
  const SpoolLayout layout(dir.path());
  SpoolMetrics metrics;
  const auto log = make_logger("test");
  SpoolMonitor monitor(layout, 1000, metrics, *log);
  monitor.measure();
  const std::filesystem::space_info space = std::filesystem::space(dir.path());
  EXPECT_EQ(metrics.spool_fs_size_bytes.load(), static_cast<std::int64_t>(space.capacity));
  EXPECT_GT(metrics.spool_fs_avail_bytes.load(), 0);
  EXPECT_LE(metrics.spool_fs_avail_bytes.load(), metrics.spool_fs_size_bytes.load());
}

// A spool that cannot be asked keeps the last numbers: 0 would read as a full disk.
TEST(SpoolMonitorTest, AFileSystemThatCannotBeMeasuredKeepsTheLastValues) {
  testing::TempDir dir;
  const SpoolLayout layout(dir.path() / "spool");
  std::filesystem::create_directories(layout.root());
  SpoolMetrics metrics;
  const auto log = make_logger("test");
  SpoolMonitor monitor(layout, 1000, metrics, *log);
  monitor.measure();
  const std::int64_t size = metrics.spool_fs_size_bytes.load();
  ASSERT_GT(size, 0);
  std::filesystem::remove_all(layout.root());
  monitor.measure();
  monitor.measure();
  EXPECT_EQ(metrics.spool_fs_size_bytes.load(), size);
  EXPECT_GT(metrics.spool_fs_avail_bytes.load(), 0);
}

}  // namespace
}  // namespace mc
