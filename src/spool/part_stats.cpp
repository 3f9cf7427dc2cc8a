#include "spool/part_stats.hpp"

#include <algorithm>
#include <utility>

namespace mc {
namespace {

void widen(std::optional<std::int64_t>& min, std::optional<std::int64_t>& max, std::int64_t value) {
  min = min ? std::min(*min, value) : value;
  max = max ? std::max(*max, value) : value;
}

void find_gaps(std::vector<std::int64_t> ids, PartStats& stats) {
  if (!std::is_sorted(ids.begin(), ids.end())) std::sort(ids.begin(), ids.end());  // live parts are sorted
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  for (std::size_t i = 1; i < ids.size(); ++i) {
    if (ids[i] == ids[i - 1] + 1) continue;
    if (stats.id_gaps.size() == kMaxIdGaps) {
      stats.id_gaps_truncated = true;
      return;
    }
    stats.id_gaps.push_back({ids[i - 1] + 1, ids[i] - 1});
  }
}

}  // namespace

void PartTally::add_line(std::uint64_t line_bytes, std::int64_t recv_us, const std::optional<TradeFacts>& trade) {
  ++stats_.record_count;
  stats_.bytes += line_bytes;
  widen(stats_.recv_min_us, stats_.recv_max_us, recv_us);
  if (kind_ != PartKind::kData || !trade) return;
  widen(stats_.time_min_ms, stats_.time_max_ms, trade->event_time_ms);
  widen(stats_.id_first, stats_.id_last, trade->id);
  ids_.push_back(trade->id);
}

void PartTally::add_bad_line(std::uint64_t line_bytes) {
  ++stats_.record_count;
  ++stats_.bad_lines;
  stats_.bytes += line_bytes;
}

PartStats PartTally::finish() && {
  find_gaps(std::move(ids_), stats_);
  return std::move(stats_);
}

}  // namespace mc
