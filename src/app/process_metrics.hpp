#pragma once
// The standard process metrics of Prometheus's client libraries (process_cpu_seconds_total,
// process_resident_memory_bytes, process_open_fds, ...), read from procfs at each scrape, so the
// collector's own memory, CPU and descriptors sit beside its counters without a node exporter.
// Each file is parsed by a pure function; a missing or garbled one is an error naming the file, and
// the scrape goes on without these series.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "common/status.hpp"

namespace mc {

struct ProcessStats {
  double cpu_seconds = 0;  // user + system
  std::uint64_t resident_bytes = 0;
  std::uint64_t virtual_bytes = 0;
  double start_time_seconds = 0;  // Unix time
  std::uint64_t open_fds = 0;
  std::uint64_t max_fds = 0;  // the soft limit (RLIMIT_NOFILE); 0 when unlimited
};

// Where the numbers come from: this process's procfs directory and the system-wide stat file (boot
// time, which the start time counts from).
struct ProcfsPaths {
  std::filesystem::path self = "/proc/self";
  std::filesystem::path system_stat = "/proc/stat";
};

// What the kernel counts /proc/<pid>/stat's times and sizes in (sysconf).
struct ProcfsUnits {
  std::uint64_t ticks_per_second = 100;
  std::uint64_t page_bytes = 4096;
};
ProcfsUnits procfs_units();

// /proc/<pid>/stat's CPU times, start time (ticks after boot), virtual and resident sizes.
struct SelfStat {
  std::uint64_t user_ticks = 0;
  std::uint64_t system_ticks = 0;
  std::uint64_t start_ticks = 0;
  std::uint64_t virtual_bytes = 0;
  std::uint64_t resident_pages = 0;
};
Result<SelfStat> parse_self_stat(std::string_view text);
// The "btime" line of /proc/stat: boot time, Unix seconds.
Result<std::uint64_t> parse_boot_time(std::string_view text);
// The soft "Max open files" of /proc/<pid>/limits; 0 for "unlimited".
Result<std::uint64_t> parse_max_open_files(std::string_view text);

Result<ProcessStats> read_process_stats(const ProcfsPaths& paths, const ProcfsUnits& units);

// The Prometheus exposition of stats, with HELP and TYPE lines.
std::string render_process_metrics(const ProcessStats& stats);

}  // namespace mc
