#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>

#include "common/clock.hpp"

namespace mc::testing {

// A fake clock another thread may read while the test moves it (support's FakeClock is
// single-threaded).
class ConcurrentFakeClock final : public Clock {
 public:
  explicit ConcurrentFakeClock(std::int64_t system_us) : system_us_(system_us) {}
  std::int64_t system_now_us() const override { return system_us_.load(); }
  std::chrono::steady_clock::time_point steady_now() const override {
    return std::chrono::steady_clock::time_point(std::chrono::microseconds(steady_us_.load()));
  }

  void set_system_us(std::int64_t us) { system_us_.store(us); }
  void advance(std::chrono::microseconds by) {
    system_us_ += by.count();
    steady_us_ += by.count();
  }

 private:
  std::atomic<std::int64_t> system_us_;
  std::atomic<std::int64_t> steady_us_{0};
};

}  // namespace mc::testing
