#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>

#include "common/clock.hpp"

namespace mc::testing {

// A clock that moves only when the test says so. Other threads (the writer, sealer or uploader a
// test drives) may read it while the test moves it.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(std::int64_t system_us = 1'739'141'030'000'000) : system_us_(system_us) {}
  std::int64_t system_now_us() const override { return system_us_.load(); }
  std::chrono::steady_clock::time_point steady_now() const override {
    return std::chrono::steady_clock::time_point(std::chrono::microseconds(steady_us_.load()));
  }

  void set_system_us(std::int64_t us) { system_us_.store(us); }
  // Moves both clocks.
  void advance(std::chrono::microseconds by) {
    system_us_ += by.count();
    steady_us_ += by.count();
  }

 private:
  std::atomic<std::int64_t> system_us_;
  std::atomic<std::int64_t> steady_us_{0};
};

// Wall time set by the test, steady time real: for code whose waits are Asio timers (the feed), which
// sleep on the real steady clock, and whose receive times a test checks.
class FixedWallClock final : public Clock {
 public:
  explicit FixedWallClock(std::int64_t system_us = 1'739'141'030'000'000) : system_us_(system_us) {}
  std::int64_t system_now_us() const override { return system_us_; }
  std::chrono::steady_clock::time_point steady_now() const override { return std::chrono::steady_clock::now(); }

 private:
  std::int64_t system_us_;
};

}  // namespace mc::testing
