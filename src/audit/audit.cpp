#include "audit/audit.hpp"

#include <algorithm>

#include "audit/audit_deep.hpp"

namespace mc {

Result<AuditReport> run_audit(const StoreReader& store, const AuditRequest& request, VerifiedPartSink* sink) {
  Result<ScanResult> scan = scan_store(store, request);
  if (!scan) return scan.status();
  AuditReport report{.store = store.describe(), .prefix = request.prefix, .from_ms = request.from_ms,
                     .to_ms = request.to_ms, .deep = request.deep, .findings = std::move(scan->findings)};
  for (const std::string& symbol : request.symbols) report.symbols.push_back({.symbol = symbol});

  for (const AuditedPart& part : scan->parts) {
    IdSet ids = part.manifest.ids;
    std::uint64_t copies = ids.count();
    if (request.deep) {
      const VerifiedLines to_sink = [sink, &part](std::string_view lines) { sink->add_part(part, lines); };
      DeepCheck check = verify_part(store, part, sink == nullptr ? VerifiedLines{} : to_sink);
      if (check.finding) {
        report.findings.push_back(std::move(*check.finding));
        continue;
      }
      ids = std::move(check.ids);
      copies = check.id_count;
    }
    const auto symbol = std::find_if(report.symbols.begin(), report.symbols.end(),
                                     [&part](const SymbolReport& s) { return s.symbol == part.symbol; });
    symbol->ids.add(ids);
    symbol->declared_gaps.add(part.manifest.feed_gaps);
    symbol->unrecoverable.add(part.manifest.unrecoverable);
    symbol->copies += copies;
    ++symbol->parts;
    InstanceCoverage& instance = symbol->instances[part.instance_id];
    instance.ids.add(ids);
    ++instance.parts;
  }
  return report;
}

}  // namespace mc
