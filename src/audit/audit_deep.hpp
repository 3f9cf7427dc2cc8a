#pragma once
// The deep audit of one part: read it, check its SHA-256, gzip integrity and the numbers of its
// manifest against what it really holds, and collect the exact set of trade ids in it (so holes
// inside a part and records recovered over REST count as they are).

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include "audit/audit_scan.hpp"
#include "common/id_ranges.hpp"
#include "audit/store_reader.hpp"

namespace mc {

struct DeepCheck {
  std::optional<Finding> finding;  // set when the part fails a check; ids are then empty
  IdSet ids;
  std::uint64_t id_count = 0;  // lines with a trade id, repeats included
};

// Given the part's JSON lines once the part passed every check (the lines live only for the call).
using VerifiedLines = std::function<void(std::string_view lines)>;

DeepCheck verify_part(const StoreReader& store, const AuditedPart& part, const VerifiedLines& on_verified = {});

}  // namespace mc
