#pragma once
// Time is injected: rotation, backoff and naming take a Clock so tests run on fake time.
// The system clock names things (keys, partitions, recv_us); the steady clock measures intervals.

#include <chrono>
#include <cstdint>

namespace mc {

class Clock {
 public:
  virtual ~Clock() = default;
  // UTC wall clock, microseconds since the Unix epoch.
  virtual std::int64_t system_now_us() const = 0;
  virtual std::chrono::steady_clock::time_point steady_now() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::int64_t system_now_us() const override {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  std::chrono::steady_clock::time_point steady_now() const override { return std::chrono::steady_clock::now(); }
};

// A deadline for waits on threads, futures and condition variables, which wait on the real steady
// clock whatever Clock the caller runs on: a fake clock decides how long, never when.
inline std::chrono::steady_clock::time_point real_deadline_after(std::chrono::steady_clock::duration wait) {
  return std::chrono::steady_clock::now() + wait;
}

}  // namespace mc
