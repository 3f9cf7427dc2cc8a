#pragma once
// Which key folders the audit lists for a time range: the coarsest folders of the layout
// (docs/S3_LAYOUT.md) that lie wholly inside the range, so a one-hour audit lists one hour folder
// rather than its whole day, and a week lists seven day folders rather than ten thousand minutes.

#include <cstdint>
#include <string>
#include <vector>

namespace mc {

// The folders below a symbol's folder ("dt=2026-11-25/", "dt=2026-11-25/05/", "dt=2026-11-25/05/07/")
// that hold exactly the minute folders overlapping [from_ms, to_ms): whole days, then whole hours,
// then minutes at the ragged edges. In key order, which is time order, and disjoint: their sorted
// listings put end to end are one sorted listing. Empty when from_ms >= to_ms.
std::vector<std::string> listing_plan(std::int64_t from_ms, std::int64_t to_ms);

}  // namespace mc
