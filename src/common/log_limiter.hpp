#pragma once
// Keeps a flood of identical events from flooding the log: at most one line per interval, and that
// line says how many events it stands for.

#include <chrono>
#include <cstdint>
#include <utility>

namespace mc {

class LogLimiter {
 public:
  explicit LogLimiter(std::chrono::steady_clock::duration interval) : interval_(interval) {}

  // Counts one event. Returns 0 when no line may be logged now, else the number of events the line
  // stands for: this one and those held back since the last line.
  std::uint64_t admit(std::chrono::steady_clock::time_point now) {
    ++pending_;
    if (logged_ && now - last_line_ < interval_) return 0;
    logged_ = true;
    last_line_ = now;
    return std::exchange(pending_, 0);
  }

 private:
  std::chrono::steady_clock::duration interval_;
  std::chrono::steady_clock::time_point last_line_{};
  bool logged_ = false;
  std::uint64_t pending_ = 0;
};

}  // namespace mc
