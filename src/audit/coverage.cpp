#include "audit/coverage.hpp"

#include <fmt/format.h>

namespace mc {

namespace {

// The exchange said the symbol had no trade in the range.
bool published_nothing(const ExchangeTruth* exchange, const std::string& symbol) {
  if (exchange == nullptr) return false;
  const auto answer = exchange->find(symbol);
  return answer != exchange->end() && answer->second.failure.empty() && !answer->second.ids;
}

bool answered_every_symbol(const ExchangeTruth* exchange, const AuditReport& report) {
  if (exchange == nullptr) return false;
  for (const SymbolReport& symbol : report.symbols) {
    const auto answer = exchange->find(symbol.symbol);
    if (answer == exchange->end() || !answer->second.failure.empty()) return false;
  }
  return true;
}

}  // namespace

std::vector<Finding> coverage_findings(const AuditReport& report, const std::map<std::string, Head>& heads,
                                       bool range_has_objects, const ExchangeTruth* exchange) {
  std::vector<Finding> findings;
  if (heads.empty() && !range_has_objects) {
    findings.push_back({FindingKind::kEmptyStore, report.store,
                        fmt::format("nothing under prefix \"{}\": no part in the range and no head object (a store "
                                    "root or bucket that does not exist, a wrong S3_PREFIX, or nothing ever stored)",
                                    report.prefix)});
  }
  for (const SymbolReport& symbol : report.symbols) {
    if (symbol.parts > 0 || published_nothing(exchange, symbol.symbol)) continue;
    findings.push_back({FindingKind::kNoData, symbol.symbol,
                        fmt::format("no part of {} from {} to {}: every instance down, the symbol not collected "
                                    "(SYMBOL), or a wrong S3_PREFIX",
                                    symbol.symbol, utc_text(report.from_ms), utc_text(report.to_ms))});
  }
  if (answered_every_symbol(exchange, report)) return findings;
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
