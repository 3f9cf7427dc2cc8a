#include "audit/listing_plan.hpp"

#include <chrono>

#include <fmt/format.h>

namespace mc {
namespace {

constexpr std::int64_t kMsPerMinute = 60'000;
constexpr std::int64_t kMsPerHour = 3'600'000;
constexpr std::int64_t kMsPerDay = 86'400'000;

std::int64_t floor_to(std::int64_t ms, std::int64_t unit) {
  const std::int64_t q = ms / unit - ((ms % unit != 0) && (ms < 0) ? 1 : 0);
  return q * unit;
}

// "dt=YYYY-MM-DD/" of the day that holds ms (a day boundary).
std::string day_folder(std::int64_t ms) {
  const std::chrono::sys_days day{std::chrono::days{floor_to(ms, kMsPerDay) / kMsPerDay}};
  const std::chrono::year_month_day ymd{day};
  return fmt::format("dt={:04}-{:02}-{:02}/", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                     static_cast<unsigned>(ymd.day()));
}

}  // namespace

std::vector<std::string> listing_plan(std::int64_t from_ms, std::int64_t to_ms) {
  std::vector<std::string> plan;
  if (from_ms >= to_ms) return plan;
  // The minute folders overlapping [from_ms, to_ms) are those of [first, end).
  const std::int64_t end = floor_to(to_ms - 1, kMsPerMinute) + kMsPerMinute;
  // Greedy from the start: a day, hour or minute folder can start only where the coarser unit does
  // not fit, so each step takes the largest folder that starts here and ends by `end`.
  for (std::int64_t at = floor_to(from_ms, kMsPerMinute); at < end;) {
    const std::int64_t day_start = floor_to(at, kMsPerDay);
    const std::int64_t hour = (at - day_start) / kMsPerHour;
    if (at == day_start && at + kMsPerDay <= end) {
      plan.push_back(day_folder(at));
      at += kMsPerDay;
    } else if (at == floor_to(at, kMsPerHour) && at + kMsPerHour <= end) {
      plan.push_back(fmt::format("{}{:02}/", day_folder(at), hour));
      at += kMsPerHour;
    } else {
      const std::int64_t minute = (at - day_start - hour * kMsPerHour) / kMsPerMinute;
      plan.push_back(fmt::format("{}{:02}/{:02}/", day_folder(at), hour, minute));
      at += kMsPerMinute;
    }
  }
  return plan;
}

}  // namespace mc
