#include "curated/curated_days.hpp"

#include <chrono>

#include <fmt/format.h>

namespace mc {

std::string utc_day(std::int64_t ms) {
  const std::int64_t days = ms >= 0 ? ms / kDayMs : (ms - kDayMs + 1) / kDayMs;
  const std::chrono::year_month_day date{std::chrono::sys_days{std::chrono::days{days}}};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                     static_cast<unsigned>(date.day()));
}

Result<CuratedDays> curated_days(std::int64_t from_ms, std::int64_t to_ms) {
  if (from_ms % kDayMs != 0) {
    return Status::fatal(fmt::format("--from {}: must be a UTC midnight (whole days are written)", from_ms));
  }
  if (to_ms % kDayMs != 0) {
    return Status::fatal(fmt::format("--to {}: must be a UTC midnight (whole days are written)", to_ms));
  }
  if (from_ms >= to_ms) return Status::fatal("--from must be before --to");
  CuratedDays out{.from_ms = from_ms,
                  .to_ms = to_ms,
                  .read_from_ms = from_ms - kReadBeforeMs,
                  .read_to_ms = to_ms + kReadAfterMs};
  for (std::int64_t day = from_ms; day < to_ms; day += kDayMs) out.days.push_back(utc_day(day));
  return out;
}

}  // namespace mc
