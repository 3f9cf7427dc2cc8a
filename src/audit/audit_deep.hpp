#pragma once
// The deep audit of one part: read it, check its SHA-256, gzip integrity and the numbers of its
// manifest against what it really holds, and collect the exact set of trade ids in it (so holes
// inside a part and records recovered over REST count as they are).

#include <cstdint>
#include <optional>
#include <string>

#include "audit/audit_scan.hpp"
#include "common/id_ranges.hpp"
#include "audit/store_reader.hpp"

namespace mc {

struct DeepCheck {
  std::optional<Finding> finding;  // set when the part fails a check; ids are then empty
  IdSet ids;
  std::uint64_t id_count = 0;  // lines with a trade id, repeats included
  std::string lines;  // the part's JSON lines, when asked for and the part passed every check
};

// Safe to call from several threads at once with a thread-safe store (StoreReader's promise).
DeepCheck verify_part(const StoreReader& store, const AuditedPart& part, bool keep_lines = false);

}  // namespace mc
