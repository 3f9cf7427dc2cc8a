#include "audit/coverage.hpp"

#include <fmt/format.h>

namespace mc {

std::vector<Finding> coverage_findings(const AuditReport& report, const std::map<std::string, Head>& heads,
                                       bool range_has_objects) {
  std::vector<Finding> findings;
  if (heads.empty() && !range_has_objects) {
    findings.push_back({FindingKind::kEmptyStore, report.store,
                        fmt::format("nothing under prefix \"{}\": no part in the range and no head object (a store "
                                    "root or bucket that does not exist, a wrong S3_PREFIX, or nothing ever stored)",
                                    report.prefix)});
  }
  for (const SymbolReport& symbol : report.symbols) {
    if (symbol.parts > 0) continue;
    findings.push_back({FindingKind::kNoData, symbol.symbol,
                        fmt::format("no part of {} from {} to {}: every instance down, the symbol not collected "
                                    "(SYMBOL), or a wrong S3_PREFIX",
                                    symbol.symbol, utc_text(report.from_ms), utc_text(report.to_ms))});
  }
  const std::int64_t stale_before = report.to_ms - kHeadStaleGrace.count();
  for (const auto& [instance_id, head] : heads) {
    if (head.created_at_ms < report.from_ms || head.created_at_ms >= stale_before) continue;
    findings.push_back(
        {FindingKind::kInstanceStopped, instance_id,
         fmt::format("newest head at {} ({}), before the range's end at {}: the instance stopped storing "
                     "during the range; audit up to its head, or find why it stopped",
                     utc_text(head.created_at_ms), head.reason == "stop" ? "a clean stop" : "no stop recorded",
                     utc_text(report.to_ms))});
  }
  return findings;
}

}  // namespace mc
