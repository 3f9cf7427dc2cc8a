#include "feed/backoff.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

namespace mc {

Backoff::Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max, Uniform uniform)
    : initial_(initial), max_(std::max(initial, max)), uniform_(std::move(uniform)) {}

std::chrono::milliseconds Backoff::next() {
  std::chrono::milliseconds ceiling = initial_;
  for (int i = 0; i < failures_ && ceiling < max_; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, max_);
  const bool first = failures_ == 0;
  ++failures_;
  // The first retry is not jittered: a single dropped connection comes back after exactly `initial`.
  // Later ones are "full jitter": uniform in [0, ceiling], which spreads instances dropped together
  // the most for the same mean wait.
  if (first) return ceiling;
  return std::chrono::milliseconds(std::llround(uniform_() * static_cast<double>(ceiling.count())));
}

}  // namespace mc
