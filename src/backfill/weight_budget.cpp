#include "backfill/weight_budget.hpp"

#include <algorithm>

namespace mc {

namespace {
constexpr std::int64_t kMinuteUs = 60'000'000;
}

WeightBudget::WeightBudget(std::uint32_t per_minute)
    : per_minute_(std::min(per_minute, kBinanceWeightLimitPerMinute)) {}

std::int64_t WeightBudget::minute_of(std::int64_t us) {
  // Floor division: a negative time (a badly set clock) still maps to one minute.
  return us >= 0 ? us / kMinuteUs : -((-us + kMinuteUs - 1) / kMinuteUs);
}

void WeightBudget::roll_to(std::int64_t now_us) {
  const std::int64_t minute = minute_of(now_us);
  if (minute == minute_) return;
  minute_ = minute;
  spent_ = 0;
  exchange_used_ = 0;
}

bool WeightBudget::fits(std::uint32_t weight, std::int64_t at_us) const {
  if (minute_of(at_us) != minute_) return true;  // a fresh minute: nothing spent in it yet
  const bool own_ok = spent_ == 0 || spent_ + weight <= per_minute_;
  const bool exchange_ok = exchange_used_ + weight <= kBinanceWeightLimitPerMinute;
  return own_ok && exchange_ok;
}

std::chrono::microseconds WeightBudget::wait_before(std::uint32_t weight, std::int64_t now_us) const {
  std::int64_t at = std::max(now_us, not_before_us_);
  if (!fits(weight, at)) at = (minute_of(at) + 1) * kMinuteUs;
  return std::chrono::microseconds(at - now_us);
}

void WeightBudget::on_sent(std::uint32_t weight, std::int64_t now_us) {
  roll_to(now_us);
  spent_ += weight;
  exchange_used_ += weight;
}

void WeightBudget::on_used_weight(std::uint32_t used, std::int64_t now_us) {
  roll_to(now_us);
  // The header counts every request the exchange saw this minute, ours included; a report smaller than
  // what we sent ourselves belongs to the previous minute's tail and must not lower the estimate.
  exchange_used_ = std::max(used, spent_);
}

void WeightBudget::on_retry_after(std::chrono::seconds retry_after, std::int64_t now_us) {
  const std::int64_t until = now_us + std::chrono::duration_cast<std::chrono::microseconds>(retry_after).count();
  not_before_us_ = std::max(not_before_us_, until);
}

}  // namespace mc
