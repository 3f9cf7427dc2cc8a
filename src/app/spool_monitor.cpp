#include "app/spool_monitor.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <optional>

#include <spdlog/spdlog.h>

#include "common/file_util.hpp"

namespace mc {
namespace {

struct SpoolUsage {
  std::uint64_t bytes = 0;  // every file under the spool (parts, manifests, rejected files, state)
  std::uint64_t files = 0;  // parts and manifests in open/ and sealed/: the work not yet stored
  std::optional<std::filesystem::file_time_type> oldest;  // of those
};

SpoolUsage spool_usage(const SpoolLayout& layout) {
  SpoolUsage usage;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(layout.root(), ec); !ec && it != decltype(it){};
       it.increment(ec)) {
    std::error_code entry_ec;
    if (!it->is_regular_file(entry_ec)) continue;
    usage.bytes += it->file_size(entry_ec);
    const std::filesystem::path parent = it->path().parent_path();
    if (parent != layout.open_dir() && parent != layout.sealed_dir()) continue;
    ++usage.files;
    const auto written = it->last_write_time(entry_ec);
    if (!entry_ec && (!usage.oldest || written < *usage.oldest)) usage.oldest = written;
  }
  return usage;
}

}  // namespace

void SpoolMonitor::measure() {
  const SpoolUsage usage = spool_usage(layout_);
  metrics_.spool_bytes.store(static_cast<std::int64_t>(usage.bytes), std::memory_order_relaxed);
  metrics_.spool_files.store(static_cast<std::int64_t>(usage.files), std::memory_order_relaxed);
  // File times are on the file system's clock, which only they can be compared with.
  const auto age = usage.oldest ? std::filesystem::file_time_type::clock::now() - *usage.oldest
                                : std::filesystem::file_time_type::duration::zero();
  metrics_.spool_oldest_age_seconds.store(
      std::max<std::int64_t>(0, std::chrono::duration_cast<std::chrono::seconds>(age).count()),
      std::memory_order_relaxed);
  measure_file_system();
  if (usage.bytes > max_bytes_) {
    log_.error("SPOOL OVER LIMIT: spool_bytes={} spool_max_bytes={} (the store is not keeping up)", usage.bytes,
               max_bytes_);
    over_limit_ = true;
  } else if (over_limit_) {
    log_.info("spool back under its limit spool_bytes={} spool_max_bytes={}", usage.bytes, max_bytes_);
    over_limit_ = false;
  }
}

// A failure keeps the last values: a gauge that dropped to 0 would read as a full disk.
void SpoolMonitor::measure_file_system() {
  const Result<FileSystemSpace> space = file_system_space(layout_.root());
  if (!space) {
    if (!space_unknown_) log_.error("cannot measure the spool's file system: {}", space.status().message());
    space_unknown_ = true;
    return;
  }
  space_unknown_ = false;
  metrics_.spool_fs_size_bytes.store(static_cast<std::int64_t>(space->size_bytes), std::memory_order_relaxed);
  metrics_.spool_fs_avail_bytes.store(static_cast<std::int64_t>(space->available_bytes), std::memory_order_relaxed);
}

}  // namespace mc
