#pragma once
// Lost parts, proven by number (docs/AUDIT.md "Lost parts"): every data part's manifest names its
// writer's part number and the previous part's key, and each instance stores head objects naming the
// newest part number it stored per writer. Within the audited range, a part number is lost when:
//   - it lies between two numbers of the same instance and symbol that were found;
//   - a part found names it as its previous part, and that part's minute lies in the range;
//   - the instance's newest head names a larger number than any found, and the head's part lies in
//     the range (the last parts before a clean stop, or before the last head).
// A number is reported once, with the instance, the symbol, and its key when a manifest or head names it.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "audit/audit_scan.hpp"
#include "audit/store_reader.hpp"
#include "keys/head_object.hpp"

namespace mc {

// The newest head of every instance under the prefix, by instance id. Heads that do not parse are
// findings (kBadManifest, named by key); a failed listing is an error.
struct NewestHeads {
  std::map<std::string, Head> by_instance;
  std::vector<Finding> findings;
};
Result<NewestHeads> read_newest_heads(const StoreReader& store, std::string_view prefix);

// parts: the scan's parts (any order). The findings, kLostPart, ordered by instance, symbol, number.
std::vector<Finding> find_lost_parts(const std::vector<AuditedPart>& parts, const std::map<std::string, Head>& heads,
                                     const AuditRequest& request);

}  // namespace mc
