#pragma once
// The deep audit of one part: read it, check its SHA-256, gzip integrity and the numbers of its
// manifest against what it really holds, and collect the exact set of trade ids in it (so holes
// inside a part and records recovered over REST count as they are).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "audit/audit_scan.hpp"
#include "audit/deep_scan.hpp"
#include "common/id_ranges.hpp"
#include "audit/store_reader.hpp"

namespace mc {

struct DeepCheck {
  std::optional<Finding> finding;  // set when the part fails a check; ids are then empty
  IdSet ids;
  std::uint64_t id_count = 0;  // lines with a trade id, repeats included
  // When asked for and the part passed every check: its JSON lines, where its trades are in them
  // (deep_scan.hpp) and how many lines hold no trade the export can file.
  std::string lines;
  std::vector<TradeLine> trades;
  std::uint64_t lines_without_trade = 0;
};

// Safe to call from several threads at once with a thread-safe store (StoreReader's promise).
DeepCheck verify_part(const StoreReader& store, const AuditedPart& part, bool keep_lines = false);

}  // namespace mc
