#include "app/put_estimate.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace mc {
namespace {

constexpr std::uint64_t kObjectsPerWindow = 2;  // the part and its manifest
constexpr std::uint64_t kHeadsPerDay = std::uint64_t{24} * 60;  // at most one a minute

}  // namespace

double PutEstimate::cost_usd_per_day() const {
  return static_cast<double>(puts_per_day()) * kUsdPerThousandPuts / 1000.0;
}

PutEstimate estimate_daily_puts(const SymbolWindows& windows) {
  PutEstimate estimate;
  if (windows.empty()) return estimate;
  estimate.heads = kHeadsPerDay;
  estimate.shortest_window_secs = kSecondsPerDay;
  for (const auto& [symbol, secs] : windows) {
    // Every window divides the day (ROT_SECS's rule), so the division is exact.
    estimate.parts_and_manifests += kObjectsPerWindow * (kSecondsPerDay / secs);
    estimate.shortest_window_secs = std::min(estimate.shortest_window_secs, secs);
    estimate.longest_window_secs = std::max(estimate.longest_window_secs, secs);
  }
  return estimate;
}

std::string describe(const PutEstimate& estimate) {
  return fmt::format(
      "expected puts_per_day={} (parts+manifests, every window with trades; heads <=1/min) cost_usd_per_day={:.2f} "
      "at ${}/1000 windows_secs={}..{}",
      estimate.puts_per_day(), estimate.cost_usd_per_day(), kUsdPerThousandPuts, estimate.shortest_window_secs,
      estimate.longest_window_secs);
}

}  // namespace mc
