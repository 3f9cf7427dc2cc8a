#pragma once
// What a part holds: the numbers its manifest reports, counted line by line (PartTally). Parsing a
// part's file for them is spool/part_scan.hpp, kept apart so this header does not bring simdjson to
// every file that passes the numbers on.
//
// Data lines:       {"recv_us":N,"stream":"..","data":{"e":"trade","E":N,"t":N,...}}
//                   {"recv_us":N,"src":"rest","data":{...}}   (recovered over REST)
// Quarantine lines: {"recv_us":N,"reason":"..","frame":"text","bytes":N,"raw_b64":".."}

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "common/id_ranges.hpp"
#include "common/record.hpp"

namespace mc {

// A manifest lists at most this many id gaps; a part with more says so with id_gaps_truncated.
inline constexpr std::size_t kMaxIdGaps = 1000;

// Trade ids [from_missing, to_missing] that lie between ids present in the part but are not in it.
struct IdGap {
  std::int64_t from_missing = 0;
  std::int64_t to_missing = 0;
  friend bool operator==(const IdGap&, const IdGap&) = default;
};

struct PartStats {
  std::uint64_t record_count = 0;   // complete lines, bad ones included: what a reader will find
  std::uint64_t bytes = 0;          // the complete lines' bytes: what the part holds uncompressed
  std::uint64_t trimmed_bytes = 0;  // a torn last line (no '\n') left by a crash; not part of the part
  std::uint64_t bad_lines = 0;      // lines that are not the JSON object their kind requires

  // Over the good lines; empty when there is none (and always, for E and t, in quarantine parts).
  std::optional<std::int64_t> time_min_ms;  // data.E
  std::optional<std::int64_t> time_max_ms;
  // The smallest and largest data.t. A live-only part is in id order, so these are its first and
  // last ids; REST-backfilled lines land in later parts with older ids, and [id_first, id_last]
  // minus id_gaps must stay exactly the part's ids.
  std::optional<std::int64_t> id_first;
  std::optional<std::int64_t> id_last;
  std::optional<std::int64_t> recv_min_us;
  std::optional<std::int64_t> recv_max_us;

  // Ids missing between the smallest and the largest id in the part, ascending. Computed over the
  // set of ids, so records out of order (REST backfill, connection overlap) do not count as gaps.
  std::vector<IdGap> id_gaps;
  bool id_gaps_truncated = false;
};

// A trade line's numbers, known to whoever built the line.
struct TradeFacts {
  std::int64_t id = 0;             // data.t
  std::int64_t event_time_ms = 0;  // data.E
};

// PartStats gathered line by line: by the writer as it appends (so sealing need not parse the part
// again) and by scan_part as it parses one.
class PartTally {
 public:
  explicit PartTally(PartKind kind) : kind_(kind) {}
  // One complete line of line_bytes bytes ('\n' included) that is what its kind requires. A data
  // line has its trade's facts; a quarantine line has none.
  void add_line(std::uint64_t line_bytes, std::int64_t recv_us, const std::optional<TradeFacts>& trade);
  // One complete line that is not.
  void add_bad_line(std::uint64_t line_bytes);
  PartStats finish() &&;

 private:
  PartKind kind_;
  PartStats stats_;
  std::vector<std::int64_t> ids_;
};

}  // namespace mc
