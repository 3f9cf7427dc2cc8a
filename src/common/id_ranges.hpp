#pragma once
// A set of trade ids kept as sorted, disjoint, non-adjacent closed ranges: what a part, an instance
// or the union of instances covers, and what is missing from it.

#include <cstdint>
#include <optional>
#include <vector>

namespace mc {

struct IdRange {
  std::int64_t first = 0;
  std::int64_t last = 0;  // inclusive
  std::uint64_t count() const { return static_cast<std::uint64_t>(last - first) + 1; }
  friend bool operator==(const IdRange&, const IdRange&) = default;
};

class IdSet {
 public:
  IdSet() = default;
  IdSet(std::initializer_list<IdRange> ranges);

  // Adds [first, last]; merges with ranges it overlaps or touches. Ascending input is O(1) each.
  void add(std::int64_t first, std::int64_t last);
  void add(std::int64_t id) { add(id, id); }
  void add(const IdSet& other);
  // Removes [first, last].
  void remove(std::int64_t first, std::int64_t last);

  // This set minus other.
  IdSet subtract(const IdSet& other) const;
  // The ids of [first, last] that are not in this set.
  IdSet missing_within(IdRange span) const;

  // Smallest and largest id, nullopt when empty.
  std::optional<IdRange> span() const;
  std::uint64_t count() const;
  bool empty() const { return ranges_.empty(); }
  bool contains(std::int64_t id) const;
  const std::vector<IdRange>& ranges() const { return ranges_; }

  friend bool operator==(const IdSet&, const IdSet&) = default;

 private:
  std::vector<IdRange> ranges_;
};

}  // namespace mc
