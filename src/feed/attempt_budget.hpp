#pragma once
// Connection attempts within a sliding window: Binance allows 300 per 5 minutes per IP, and an IP
// over it is banned. The feed keeps to a third of that, so three instances behind one NAT address
// together stay within the exchange's budget however often their connections fail.

#include <chrono>
#include <cstddef>
#include <deque>

namespace mc {

inline constexpr std::size_t kMaxConnectAttempts = 100;
inline constexpr std::chrono::minutes kConnectAttemptWindow{5};

class AttemptBudget {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  explicit AttemptBudget(std::size_t max_attempts = kMaxConnectAttempts,
                         std::chrono::steady_clock::duration window = kConnectAttemptWindow)
      : max_attempts_(max_attempts), window_(window) {}

  // How long from now until one more attempt fits in the window; zero when it fits now.
  std::chrono::steady_clock::duration wait(TimePoint now) {
    while (!attempts_.empty() && attempts_.front() + window_ <= now) attempts_.pop_front();
    if (attempts_.size() < max_attempts_) return std::chrono::steady_clock::duration::zero();
    return attempts_.front() + window_ - now;
  }
  void record(TimePoint now) { attempts_.push_back(now); }

 private:
  std::size_t max_attempts_;
  std::chrono::steady_clock::duration window_;
  std::deque<TimePoint> attempts_;  // at most max_attempts_: wait() is asked before every record()
};

}  // namespace mc
