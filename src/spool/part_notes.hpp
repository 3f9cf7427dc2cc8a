#pragma once
// What the feed knew about a part that its lines cannot tell: the trade-id gaps seen while the part
// was open (the ids were missing from the stream just before a line of this part) and the ids the
// exchange said do not exist. They go into the manifest's "extra"; a part sealed by start-up recovery
// has none (the trade ledger still holds its open gaps, see docs/FEED.md).

#include <cstddef>
#include <filesystem>
#include <optional>
#include <vector>

#include "common/id_ranges.hpp"
#include "spool/part_stats.hpp"

namespace mc {

// A manifest lists at most this many ranges of each kind; the rest are counted, not listed.
inline constexpr std::size_t kMaxNotedRanges = 1000;

struct PartNotes {
  std::vector<IdRange> gaps_seen;
  std::vector<IdRange> unrecoverable;
  std::uint64_t ranges_not_listed = 0;

  bool empty() const { return gaps_seen.empty() && unrecoverable.empty() && ranges_not_listed == 0; }
  void add_gap_seen(IdRange range) { add(gaps_seen, range); }
  void add_unrecoverable(IdRange range) { add(unrecoverable, range); }

 private:
  void add(std::vector<IdRange>& list, IdRange range) {
    if (list.size() < kMaxNotedRanges) {
      list.push_back(range);
    } else {
      ++ranges_not_listed;
    }
  }
};

// An open file on its way to the sealer, with what the writer knew about it.
struct SealJob {
  std::filesystem::path open_file;
  PartNotes notes;
  // The manifest's numbers as the writer counted them; nullopt (start-up recovery, dropped lines):
  // the sealer parses the file for them.
  std::optional<PartStats> stats;
};

}  // namespace mc
