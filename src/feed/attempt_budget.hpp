#pragma once
// Connection attempts within a sliding window: Binance allows 300 per 5 minutes per IP, and an IP
// over it is banned. The feed keeps to a third of that, so three instances behind one NAT address
// together stay within the exchange's budget however often their connections fail. One budget
// serves every connection of the process (the exchange counts per IP, not per connection), so it
// is safe from any thread.

#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>

namespace mc {

inline constexpr std::size_t kMaxConnectAttempts = 100;
inline constexpr std::chrono::minutes kConnectAttemptWindow{5};

class AttemptBudget {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  explicit AttemptBudget(std::size_t max_attempts = kMaxConnectAttempts,
                         std::chrono::steady_clock::duration window = kConnectAttemptWindow)
      : max_attempts_(max_attempts), window_(window) {}

  // Takes one attempt from the budget when it fits in the window now, returning zero; otherwise
  // takes nothing and returns how long from now until one would fit (ask again then: another
  // connection may have taken it meanwhile).
  std::chrono::steady_clock::duration take(TimePoint now) {
    const std::lock_guard lock(mutex_);
    while (!attempts_.empty() && attempts_.front() + window_ <= now) attempts_.pop_front();
    if (attempts_.size() >= max_attempts_) return attempts_.front() + window_ - now;
    attempts_.push_back(now);
    return std::chrono::steady_clock::duration::zero();
  }

 private:
  const std::size_t max_attempts_;
  const std::chrono::steady_clock::duration window_;
  std::mutex mutex_;
  std::deque<TimePoint> attempts_;  // at most max_attempts_: take() records only below it
};

}  // namespace mc
