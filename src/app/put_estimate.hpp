#pragma once
// What a day of collection costs in S3 PUT requests, from the rotation windows alone, logged at
// start so that a window change shows its price before the bill does (docs/FLEET.md).
// Every window with trades stores a part and its manifest; the heads publisher adds at most one
// head a minute. Parts closed early at ROT_BYTES, quarantine parts and the one start-up object come
// on top; a quiet symbol costs less (no trades in a window: no part).

#include <cstdint>
#include <string>

#include "config/rot_secs_overrides.hpp"

namespace mc {

// S3 Standard, per 1,000 PUT requests (us-east-1 and most regions).
inline constexpr double kUsdPerThousandPuts = 0.005;

struct PutEstimate {
  std::uint64_t parts_and_manifests = 0;  // a day of windows, every one with trades
  std::uint64_t heads = 0;                // at most one a minute
  std::uint32_t shortest_window_secs = 0;
  std::uint32_t longest_window_secs = 0;

  std::uint64_t puts_per_day() const { return parts_and_manifests + heads; }
  double cost_usd_per_day() const;
};

// windows: each collected symbol's window (ROT_SECS with ROT_SECS_OVERRIDES applied).
PutEstimate estimate_daily_puts(const SymbolWindows& windows);

// The start-up log line: "expected puts_per_day=... cost_usd_per_day=... at $0.005/1000 ...".
std::string describe(const PutEstimate& estimate);

}  // namespace mc
