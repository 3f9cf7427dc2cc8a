#pragma once
// Whether the spool's file system still has the free space the writers leave to the sealer
// (RotationSettings::min_free_bytes), asked of the kernel (statvfs) at most once per interval. The
// writer thread's writers share one: with 1,000 symbols, 1,000 writers each asking ten times a
// second made the check one of the thread's larger system-call costs.
//
// Not thread-safe: the writer thread owns it.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <utility>

#include "common/clock.hpp"

namespace mc {

// How often the file system is asked while writes go on.
inline constexpr std::chrono::milliseconds kFreeSpaceCheckInterval{100};

class FreeSpaceCheck {
 public:
  // min_free_bytes 0: always room, never asks.
  FreeSpaceCheck(std::filesystem::path dir, std::uint64_t min_free_bytes, const Clock& clock)
      : dir_(std::move(dir)), min_free_bytes_(min_free_bytes), clock_(clock) {}

  bool has_room();

 private:
  const std::filesystem::path dir_;
  const std::uint64_t min_free_bytes_;
  const Clock& clock_;
  std::chrono::steady_clock::time_point next_check_{};
  bool has_room_ = true;
};

}  // namespace mc
