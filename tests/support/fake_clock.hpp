#pragma once
#include <chrono>
#include <cstdint>

#include "common/clock.hpp"

namespace mc::testing {

// A clock that moves only when the test says so.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(std::int64_t system_us = 1'739'141'030'000'000) : system_us_(system_us) {}
  std::int64_t system_now_us() const override { return system_us_; }
  std::chrono::steady_clock::time_point steady_now() const override { return steady_; }

  void set_system_us(std::int64_t us) { system_us_ = us; }
  void advance(std::chrono::microseconds by) {
    system_us_ += by.count();
    steady_ += by;
  }

 private:
  std::int64_t system_us_;
  std::chrono::steady_clock::time_point steady_{};
};

}  // namespace mc::testing
