#pragma once
// The UTC days an `ohlcv` run writes, and the receive-time range of raw parts it must read for them.

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.hpp"

namespace mc {

inline constexpr std::int64_t kDayMs = 86'400'000;
// Raw parts read before the first day: a collector clock behind the exchange's files a day's first
// trades under the previous day's last minutes (sql/curated/trades_curated.sql reads dt = day - 1).
inline constexpr std::int64_t kReadBeforeMs = 3'600'000;
// Raw parts read after the last day: a trade is received after its trade time, a copy recovered over
// REST possibly hours later; the SQL reads dt = day + 1 whole.
inline constexpr std::int64_t kReadAfterMs = kDayMs;

struct CuratedDays {
  std::vector<std::string> days;  // "YYYY-MM-DD", ascending, at least one
  std::int64_t from_ms = 0;       // midnight of the first day
  std::int64_t to_ms = 0;         // midnight after the last day
  std::int64_t read_from_ms = 0;  // the raw parts to read: [read_from_ms, read_to_ms) of receive time
  std::int64_t read_to_ms = 0;
};

// The whole UTC days of [from_ms, to_ms). kFatal naming the bound when either is not a UTC midnight
// (a partial day would write a partition that looks whole) or when from_ms >= to_ms.
Result<CuratedDays> curated_days(std::int64_t from_ms, std::int64_t to_ms);

// "YYYY-MM-DD" of the UTC day holding ms.
std::string utc_day(std::int64_t ms);

}  // namespace mc
