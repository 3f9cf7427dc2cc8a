#include "common/id_ranges.hpp"

#include <algorithm>
#include <limits>

namespace mc {
namespace {

// Whether b starts at most one id after a ends, so the two make one range.
bool touches(const IdRange& a, std::int64_t b_first) {
  return a.last == std::numeric_limits<std::int64_t>::max() || b_first <= a.last + 1;
}

}  // namespace

IdSet::IdSet(std::initializer_list<IdRange> ranges) {
  for (const IdRange& r : ranges) add(r.first, r.last);
}

void IdSet::add(std::int64_t first, std::int64_t last) {
  if (first > last) return;
  // Ids arrive mostly ascending: extend or append at the end.
  if (ranges_.empty() || ranges_.back().first <= first) {
    if (!ranges_.empty() && touches(ranges_.back(), first)) {
      ranges_.back().last = std::max(ranges_.back().last, last);
    } else {
      ranges_.push_back({first, last});
    }
    return;
  }
  // The ranges [first, last] overlaps or touches become one.
  const auto lo = std::lower_bound(ranges_.begin(), ranges_.end(), first,
                                   [](const IdRange& r, std::int64_t id) { return !touches(r, id); });
  IdRange merged{first, last};
  auto hi = lo;
  for (; hi != ranges_.end() && touches(IdRange{first, last}, hi->first); ++hi) {
    merged.first = std::min(merged.first, hi->first);
    merged.last = std::max(merged.last, hi->last);
  }
  ranges_.insert(ranges_.erase(lo, hi), merged);
}

void IdSet::add(const IdSet& other) {
  for (const IdRange& r : other.ranges_) add(r.first, r.last);
}

void IdSet::remove(std::int64_t first, std::int64_t last) {
  if (first > last) return;
  std::vector<IdRange> out;
  out.reserve(ranges_.size() + 1);
  for (const IdRange& r : ranges_) {
    if (r.last < first || r.first > last) {
      out.push_back(r);
      continue;
    }
    if (r.first < first) out.push_back({r.first, first - 1});
    if (r.last > last) out.push_back({last + 1, r.last});
  }
  ranges_ = std::move(out);
}

IdSet IdSet::subtract(const IdSet& other) const {
  IdSet out;
  auto cut = other.ranges_.begin();
  for (const IdRange& r : ranges_) {
    std::int64_t from = r.first;
    bool done = false;
    while (cut != other.ranges_.end() && cut->last < from) ++cut;
    for (auto c = cut; c != other.ranges_.end() && c->first <= r.last; ++c) {
      if (c->first > from) out.ranges_.push_back({from, c->first - 1});
      if (c->last >= r.last) {
        done = true;
        break;
      }
      from = c->last + 1;
    }
    if (!done) out.ranges_.push_back({from, r.last});
  }
  return out;
}

IdSet IdSet::missing_within(IdRange span) const {
  IdSet whole;
  whole.add(span.first, span.last);
  return whole.subtract(*this);
}

std::optional<IdRange> IdSet::span() const {
  if (ranges_.empty()) return std::nullopt;
  return IdRange{ranges_.front().first, ranges_.back().last};
}

std::uint64_t IdSet::count() const {
  std::uint64_t total = 0;
  for (const IdRange& r : ranges_) total += r.count();
  return total;
}

bool IdSet::contains(std::int64_t id) const {
  const auto it = std::upper_bound(ranges_.begin(), ranges_.end(), id,
                                   [](std::int64_t value, const IdRange& r) { return value < r.first; });
  return it != ranges_.begin() && std::prev(it)->last >= id;
}

}  // namespace mc
