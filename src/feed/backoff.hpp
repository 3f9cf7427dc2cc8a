#pragma once
// Reconnect delays: the first is `initial`; after that the ceiling doubles, capped at `max`, and each
// delay is drawn uniformly from [0, ceiling] so instances dropped together do not reconnect in lock step.

#include <chrono>
#include <functional>

namespace mc {

class Backoff {
 public:
  // Returns a uniform value in [0, 1).
  using Uniform = std::function<double()>;

  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max, Uniform uniform);

  // The delay before the next attempt; every call counts one more failed attempt.
  std::chrono::milliseconds next();
  // Called once a connection has been stable (a minute): the next delay is `initial` again.
  void reset() { failures_ = 0; }
  // Failed attempts since the last reset.
  int failures() const { return failures_; }

 private:
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds max_;
  Uniform uniform_;
  int failures_ = 0;
};

}  // namespace mc
