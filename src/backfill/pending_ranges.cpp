#include "backfill/pending_ranges.hpp"

#include <algorithm>
#include <limits>
#include <utility>

namespace mc {

PendingRanges::PendingRanges(std::size_t max_ranges) : max_ranges_(std::max<std::size_t>(max_ranges, 1)) {}

bool PendingRanges::add(std::int64_t first, std::int64_t last) {
  ids_.add(first, last);
  const std::vector<IdRange>& ranges = ids_.ranges();
  if (ranges.size() <= max_ranges_) return false;
  std::size_t closest = 0;
  std::int64_t closest_gap = std::numeric_limits<std::int64_t>::max();
  for (std::size_t i = 0; i + 1 < ranges.size(); ++i) {
    const std::int64_t gap = ranges[i + 1].first - ranges[i].last;
    if (gap < closest_gap) {
      closest_gap = gap;
      closest = i;
    }
  }
  ids_.add(ranges[closest].last + 1, ranges[closest + 1].first - 1);  // fills the gap: the two become one
  return true;
}

std::vector<IdRange> PendingRanges::take_all() {
  std::vector<IdRange> all = ids_.ranges();
  ids_ = IdSet();
  return all;
}

std::optional<IdRange> PendingRanges::front() const {
  if (ids_.empty()) return std::nullopt;
  return ids_.ranges().front();
}

}  // namespace mc
