#pragma once
// Rotation windows: ROT_SECS long, aligned on the UTC epoch (…:00, :05, :10 for 5 s), so every
// instance cuts its parts at the same instants. Window k covers [k*len, (k+1)*len) microseconds.

#include <cstdint>

namespace mc {

constexpr std::int64_t window_length_us(std::uint32_t rot_secs) {
  return static_cast<std::int64_t>(rot_secs) * 1'000'000;
}

// Floor division, so a time before the epoch still falls in the window that contains it.
constexpr std::int64_t window_index(std::int64_t time_us, std::uint32_t rot_secs) {
  const std::int64_t length = window_length_us(rot_secs);
  const std::int64_t quotient = time_us / length;
  return (time_us % length < 0) ? quotient - 1 : quotient;
}

constexpr std::int64_t window_start_us(std::int64_t index, std::uint32_t rot_secs) {
  return index * window_length_us(rot_secs);
}

// The first microsecond that no longer belongs to the window.
constexpr std::int64_t window_end_us(std::int64_t index, std::uint32_t rot_secs) {
  return window_start_us(index + 1, rot_secs);
}

}  // namespace mc
