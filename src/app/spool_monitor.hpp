#pragma once
// Measures the spool on the main thread's tick: its size, the work not yet stored (parts and
// manifests in open/ and sealed/), the age of the oldest of it, and the size and free space of its
// file system, into the metrics; and raises the
// SPOOL_MAX_BYTES alarm. The spool grows when the store is unreachable or the sealer is stuck, and
// nothing is deleted to make room, so the operator must know before the disk fills.

#include <cstdint>

#include "spool/spool_metrics.hpp"
#include "spool/spool_layout.hpp"

namespace spdlog {
class logger;
}

namespace mc {

class SpoolMonitor {
 public:
  SpoolMonitor(SpoolLayout layout, std::uint64_t max_bytes, SpoolMetrics& metrics, spdlog::logger& log)
      : layout_(std::move(layout)), max_bytes_(max_bytes), metrics_(metrics), log_(log) {}

  // Walks the spool once; logs when it crosses its limit either way.
  void measure();
  bool over_limit() const { return over_limit_; }

 private:
  void measure_file_system();

  const SpoolLayout layout_;
  const std::uint64_t max_bytes_;
  SpoolMetrics& metrics_;
  spdlog::logger& log_;
  bool over_limit_ = false;
  bool space_unknown_ = false;  // statvfs failed last time: logged once until it works again
};

}  // namespace mc
