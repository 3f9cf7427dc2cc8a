#pragma once
// When the next REST request may go. Binance counts request weight per IP in UTC calendar minutes
// (the X-MBX-USED-WEIGHT-1M header reports the current minute's total) and answers 429, then 418 (an IP
// ban), to clients that keep going past the limit. The budget keeps the backfill well inside that:
//   - the backfill spends at most per_minute weight per UTC minute (a request always may go in a minute
//     where the backfill has spent nothing, so a per_minute below one request's weight still progresses);
//   - nothing goes when the exchange's last reported usage for this minute, plus what the backfill sent
//     since that report, plus the request would pass kBinanceWeightLimitPerMinute (other clients on the
//     same IP spend from the same budget);
//   - after a 429 or 418 nothing goes before the answer's time + Retry-After.
// Pure: no threads, no clock of its own. Times are UTC epoch microseconds, because the windows are the
// exchange's calendar minutes; a wall clock stepping back only makes the budget wait longer.

#include <chrono>
#include <cstdint>

namespace mc {

// Binance spot's REQUEST_WEIGHT limit per IP per minute.
inline constexpr std::uint32_t kBinanceWeightLimitPerMinute = 6000;

class WeightBudget {
 public:
  // per_minute is capped at kBinanceWeightLimitPerMinute.
  explicit WeightBudget(std::uint32_t per_minute);

  // How long to wait from now_us before a request of this weight may go; zero: it may go now.
  std::chrono::microseconds wait_before(std::uint32_t weight, std::int64_t now_us) const;
  // A request of this weight was sent at now_us.
  void on_sent(std::uint32_t weight, std::int64_t now_us);
  // A response that arrived at now_us reported the IP's usage in the current minute.
  void on_used_weight(std::uint32_t used, std::int64_t now_us);
  // A 429/418 that arrived at now_us asked to wait retry_after.
  void on_retry_after(std::chrono::seconds retry_after, std::int64_t now_us);

 private:
  static std::int64_t minute_of(std::int64_t us);
  // Forgets the counts of a minute other than now's.
  void roll_to(std::int64_t now_us);
  bool fits(std::uint32_t weight, std::int64_t at_us) const;

  std::uint32_t per_minute_;
  std::int64_t minute_ = -1;            // the minute spent_ and exchange_used_ belong to
  std::uint32_t spent_ = 0;             // weight the backfill sent in minute_
  std::uint32_t exchange_used_ = 0;     // last reported usage in minute_ plus what we sent since
  std::int64_t not_before_us_ = 0;      // Retry-After deadline
};

}  // namespace mc
