#include "app/process_metrics.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "common/unique_fd.hpp"
#include "support/temp_dir.hpp"

namespace mc {
namespace {

// A real line of /proc/<pid>/stat, with a command name that holds a space and a parenthesis.
constexpr std::string_view kStat =
    "4242 (mc feed) 1) S 1 4242 4242 0 -1 4194560 5120 0 3 0 250 75 0 0 20 0 9 0 123400 "
    "1048576000 20480 18446744073709551615 1 1 0 0 0 0 0 4096 17664 0 0 0 17 1 0 0 0 0 0\n";

void write_text(const std::filesystem::path& path, std::string_view text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

TEST(ProcessMetricsTest, ParsesTheStatFieldsAfterTheCommandName) {
  const Result<SelfStat> stat = parse_self_stat(kStat);
  ASSERT_TRUE(stat) << stat.status().message();
  EXPECT_EQ(stat->user_ticks, 250U);
  EXPECT_EQ(stat->system_ticks, 75U);
  EXPECT_EQ(stat->start_ticks, 123400U);
  EXPECT_EQ(stat->virtual_bytes, 1048576000U);
  EXPECT_EQ(stat->resident_pages, 20480U);
}

TEST(ProcessMetricsTest, GarbledStatIsAnErrorNotACrash) {
  for (const std::string_view garbled : {"", "no parentheses at all", "1 (x) S 1 2", "1 (x) S 1 2 3 4 5 6 7 8 9 ten 11 12"}) {
    const Result<SelfStat> stat = parse_self_stat(garbled);
    EXPECT_FALSE(stat) << garbled;
  }
}

TEST(ProcessMetricsTest, ParsesBootTimeAndTheSoftOpenFileLimit) {
  EXPECT_EQ(*parse_boot_time("cpu  1 2 3\nintr 5\nbtime 1764950000\nprocesses 7\n"), 1764950000U);
  EXPECT_FALSE(parse_boot_time("cpu  1 2 3\n"));
  EXPECT_FALSE(parse_boot_time("btime soon\n"));
  constexpr std::string_view kLimits =
      "Limit                     Soft Limit           Hard Limit           Units     \n"
      "Max open files            1024                 1048576              files     \n";
  EXPECT_EQ(*parse_max_open_files(kLimits), 1024U);
  EXPECT_EQ(*parse_max_open_files("Max open files            unlimited            unlimited            files\n"), 0U);
  EXPECT_FALSE(parse_max_open_files("Max processes 10 10 processes\n"));
}

// This test process's own numbers, as a scrape would read them.
TEST(ProcessMetricsTest, ReadsThisProcessFromProc) {
  const Result<ProcessStats> before = read_process_stats(ProcfsPaths{}, procfs_units());
  ASSERT_TRUE(before) << before.status().message();
  EXPECT_GT(before->resident_bytes, 0U);
  EXPECT_GE(before->virtual_bytes, before->resident_bytes);
  EXPECT_GE(before->cpu_seconds, 0.0);
  rlimit limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
  EXPECT_EQ(before->max_fds, limit.rlim_cur == RLIM_INFINITY ? 0U : limit.rlim_cur);
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_LE(before->start_time_seconds, now + 1);
  EXPECT_GT(before->start_time_seconds, now - 3600) << "started an hour ago?";

  const UniqueFd extra(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(extra.valid());
  const Result<ProcessStats> after = read_process_stats(ProcfsPaths{}, procfs_units());
  ASSERT_TRUE(after) << after.status().message();
  EXPECT_EQ(after->open_fds, before->open_fds + 1);
}

TEST(ProcessMetricsTest, AMissingProcDirectoryIsAnErrorNamingTheFile) {
  testing::TempDir dir;
  const Result<ProcessStats> stats = read_process_stats({.self = dir.path() / "absent"}, procfs_units());
  ASSERT_FALSE(stats);
  EXPECT_NE(stats.status().message().find("absent/stat"), std::string::npos) << stats.status().message();
}

TEST(ProcessMetricsTest, AGarbledProcFileIsAnErrorNamingIt) {
  testing::TempDir dir;
  const ProcfsPaths paths{.self = dir.path() / "self", .system_stat = dir.path() / "stat"};
  write_text(paths.self / "stat", kStat);
  write_text(paths.system_stat, "btime 1764950000\n");
  write_text(paths.self / "limits", "Max open files  not-a-number  4096  files\n");
  std::filesystem::create_directories(paths.self / "fd");
  const Result<ProcessStats> stats = read_process_stats(paths, {.ticks_per_second = 100, .page_bytes = 4096});
  ASSERT_FALSE(stats);
  EXPECT_NE(stats.status().message().find("self/limits: no \"Max open files"), std::string::npos)
      << stats.status().message();
}

TEST(ProcessMetricsTest, ComputesSecondsAndBytesFromTicksAndPages) {
  testing::TempDir dir;
  const ProcfsPaths paths{.self = dir.path() / "self", .system_stat = dir.path() / "stat"};
  write_text(paths.self / "stat", kStat);
  write_text(paths.system_stat, "btime 1764950000\n");
  write_text(paths.self / "limits", "Max open files            1024                 4096                 files\n");
  for (const char* fd : {"0", "1", "2"}) write_text(paths.self / "fd" / fd, "");
  const Result<ProcessStats> stats = read_process_stats(paths, {.ticks_per_second = 100, .page_bytes = 4096});
  ASSERT_TRUE(stats) << stats.status().message();
  EXPECT_DOUBLE_EQ(stats->cpu_seconds, 3.25);
  EXPECT_EQ(stats->resident_bytes, 20480U * 4096U);
  EXPECT_DOUBLE_EQ(stats->start_time_seconds, 1764950000.0 + 1234.0);
  EXPECT_EQ(stats->open_fds, 3U);
  EXPECT_EQ(stats->max_fds, 1024U);

  const std::string text = render_process_metrics(*stats);
  EXPECT_NE(text.find("# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 3.25\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("\nprocess_resident_memory_bytes 83886080\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nprocess_start_time_seconds 1764951234.00\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nprocess_open_fds 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nprocess_max_fds 1024\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace mc
