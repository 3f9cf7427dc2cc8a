#pragma once
// The trade ids one symbol still needs from REST: an IdSet with a bound on its number of ranges. Past
// max_ranges the two ranges closest to each other are joined, so no asked-for id is ever dropped; the
// price is refetching the ids between them (the spool drops the duplicates).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "common/id_ranges.hpp"

namespace mc {

class PendingRanges {
 public:
  explicit PendingRanges(std::size_t max_ranges);

  // Adds [first, last] (first <= last). Returns true when the bound made it join two ranges across
  // ids nobody asked for.
  bool add(std::int64_t first, std::int64_t last);
  void remove(std::int64_t first, std::int64_t last) { ids_.remove(first, last); }
  // Removes and returns everything, ascending.
  std::vector<IdRange> take_all();

  std::optional<IdRange> front() const;
  const std::vector<IdRange>& ranges() const { return ids_.ranges(); }
  std::uint64_t count() const { return ids_.count(); }
  bool empty() const { return ids_.empty(); }

 private:
  std::size_t max_ranges_;
  IdSet ids_;
};

}  // namespace mc
